"""A person's decisions on matches: attach a candidate, reject one, close a request.

Every action names who took it. The actor stored is ``reviewer:<user>``,
so a person is never mistaken for the system's own actors (``matcher``,
``letter``, ``bundle``). Each action also adds a ``RequestStatusChange``
row to the request concerned, even when its status stays the same, so a
request's history shows who attached, rejected or closed what, and when.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from intake import store
from matchers.match import (
    attach,
    is_scored,
    load_document_facts,
    match_or_create_request,
    rematch_unattached,
    settle_companions,
)
from matchers.models import (
    CandidateRejection,
    DocumentMatch,
    ImageRequest,
    MatchCandidate,
)
from matchers.score import Thresholds
from matchers.track import close_request, refresh_request_status

log = logging.getLogger(__name__)

MAX_USER_LENGTH = 100
MAX_REASON_LENGTH = 500


class NotFoundError(LookupError):
    """The document or the request named in an action is not stored."""


class ReviewConflictError(ValueError):
    """The action does not fit the document's match, for example a request
    that is not among the document's candidates."""


def reviewer_actor(user: str) -> str:
    """Return the stored actor for a user name.

    Raises:
        ValueError: The name is empty or longer than ``MAX_USER_LENGTH``.
    """
    name = " ".join(user.split())
    if not name:
        raise ValueError("user is empty; give the name of the person acting")
    if len(name) > MAX_USER_LENGTH:
        raise ValueError(f"user is longer than {MAX_USER_LENGTH} characters")
    return f"reviewer:{name}"


def _check_candidate(session: Session, document_id: str, request_id: str) -> None:
    """Check that a document waits in review and lists ``request_id``.

    Raises:
        NotFoundError: The document or the request is not stored.
        ReviewConflictError: The document is attached, was never matched, or
            does not list the request.
    """
    record = session.get(store.DocumentRecord, document_id)
    if record is None:
        raise NotFoundError(f"document {document_id!r} not found")
    if session.get(ImageRequest, request_id) is None:
        raise NotFoundError(f"request {request_id!r} not found")
    if record.match_request_id is not None:
        raise ReviewConflictError(
            f"document {document_id} is already attached to request "
            f"{record.match_request_id}"
        )
    match = session.get(DocumentMatch, document_id)
    if match is None or match.band != "review":
        band = "never matched" if match is None else f"in band {match.band}"
        raise ReviewConflictError(f"document {document_id} is {band}, not in review")
    listed = session.exec(
        select(MatchCandidate.id)
        .where(MatchCandidate.document_id == document_id)
        .where(MatchCandidate.request_id == request_id)
    ).first()
    if listed is None:
        raise ReviewConflictError(
            f"request {request_id} is not a candidate of document {document_id}; "
            f"GET /api/documents/{document_id}/match lists them"
        )


def attach_candidate(
    engine: Engine, document_id: str, request_id: str, today: date, user: str
) -> None:
    """Attach a document in review to one of its candidates, as ``user`` decided.

    The documents of the same file that are not scored follow it
    (``matchers.match.settle_companions``).

    Raises:
        ValueError: ``user`` is invalid.
        NotFoundError: The document or the request is not stored.
        ReviewConflictError: The document is not in review with that candidate.
        RequestClosedError: The request is closed.
    """
    actor = reviewer_actor(user)
    with Session(engine) as session:
        _check_candidate(session, document_id, request_id)
        attach(session, document_id, request_id, today, actor, record_unchanged=True)
        record = session.get(store.DocumentRecord, document_id)
        assert record is not None
        settle_companions(session, [record.source_file_id], today)
        session.commit()
    log.info("document %s attached to request %s by %s", document_id, request_id, actor)


def reject_candidate(
    engine: Engine,
    document_id: str,
    request_id: str,
    today: date,
    user: str,
    thresholds: Thresholds,
    reason: str = "",
) -> None:
    """Reject one candidate of a document in review, then match the document again.

    The rejected request is never offered to the document again. The new
    match follows the usual rules, so the document may now be attached
    automatically to another candidate, or a letter left with no
    candidate may become a request of its own.

    Raises:
        ValueError: ``user`` or ``reason`` is invalid.
        NotFoundError: The document or the request is not stored.
        ReviewConflictError: The document is not in review with that candidate.
    """
    actor = reviewer_actor(user)
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason is longer than {MAX_REASON_LENGTH} characters")
    with Session(engine) as session:
        _check_candidate(session, document_id, request_id)
        session.add(
            CandidateRejection(
                document_id=document_id,
                request_id=request_id,
                actor=actor,
                reason=reason,
            )
        )
        request = session.get(ImageRequest, request_id)
        assert request is not None
        refresh_request_status(
            session,
            request,
            today,
            cause=f"document {document_id} rejected as a candidate",
            actor=actor,
            record_unchanged=True,
        )
        session.flush()
        facts = load_document_facts(session, document_id)
        assert facts is not None
        record = session.get(store.DocumentRecord, document_id)
        assert record is not None
        if is_scored(facts):
            match_or_create_request(session, facts, today, thresholds)
        settle_companions(session, [record.source_file_id], today)
        session.commit()
    log.info(
        "request %s rejected for document %s by %s", request_id, document_id, actor
    )


def close_and_rematch(
    engine: Engine,
    request_id: str,
    reason: str,
    user: str,
    today: date,
    thresholds: Thresholds,
) -> list[str]:
    """Close a request, then match again the documents waiting for a request.

    Documents in review that listed the closed request lose it as a
    candidate, and may now be attached automatically to another one.

    Returns:
        The documents attached when matched again.

    Raises:
        NotFoundError: The request is not stored.
        RequestClosedError: The request is already closed.
        ValueError: ``reason`` is blank or ``user`` is invalid.
    """
    actor = reviewer_actor(user)
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason is longer than {MAX_REASON_LENGTH} characters")
    with Session(engine) as session:
        request = session.get(ImageRequest, request_id)
        if request is None:
            raise NotFoundError(f"request {request_id!r} not found")
        close_request(session, request, reason, actor)
        session.flush()
        attached = rematch_unattached(session, today, thresholds)
        session.commit()
    return attached
