"""Bring stored requests' statuses up to date and record every change.

A status depends on the day (images become ready, authorizations expire,
retention runs out) as well as on the attached documents. So it is
recomputed whenever a document is attached or a request is added, and
each time requests are listed or shown. A ``RequestStatusChange`` row is added
only when the status or its reason codes differ from the stored ones.
"""

from __future__ import annotations

import json
import logging
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from intake import store
from matchers.compare import normalize_record_number
from matchers.models import ImageRequest, RequestStatusChange
from matchers.names import split_name
from matchers.status import (
    AttachedDocument,
    CheckState,
    RequestState,
    RequestStatus,
    StatusDecision,
    decide_status,
)

log = logging.getLogger(__name__)


def load_attached_documents(
    session: Session, request_id: str
) -> list[AttachedDocument]:
    """Return the documents attached to a request, with their checks."""
    records = session.exec(
        select(store.DocumentRecord)
        .where(store.DocumentRecord.match_request_id == request_id)
        .order_by(store.DocumentRecord.created_at)
    ).all()
    documents = []
    for record in records:
        checks = session.exec(
            select(store.CheckRecord).where(store.CheckRecord.document_id == record.id)
        ).all()
        documents.append(
            AttachedDocument(
                document_id=record.id,
                doc_type=record.doc_type,
                status=record.status,
                reasons=tuple(json.loads(record.reasons)),
                checks={
                    c.name: CheckState(c.passed, c.confidence, c.value) for c in checks
                },
            )
        )
    return documents


def same_patient(first: ImageRequest, second: ImageRequest) -> bool:
    """Return True when two requests are for the same patient.

    The record numbers decide when both requests have one; otherwise the
    same words of the name and the same date of birth do.
    """
    first_number = normalize_record_number(first.mrn)
    second_number = normalize_record_number(second.mrn)
    if first_number and second_number:
        return first_number == second_number
    return first.date_of_birth == second.date_of_birth and sorted(
        split_name(first.patient_name).words
    ) == sorted(split_name(second.patient_name).words)


def patient_last_exam(session: Session, request: ImageRequest) -> date:
    """Return the latest exam date over every request of the same patient.

    NOTE: only requests with the same date of birth, or the same record
    number as written, are looked at. A request whose birth date and record
    number were both typed differently counts as another patient.
    """
    same_birth = ImageRequest.date_of_birth == request.date_of_birth
    if request.mrn:
        query = select(ImageRequest).where(
            or_(same_birth, col(ImageRequest.mrn) == request.mrn)
        )
    else:
        query = select(ImageRequest).where(same_birth)
    related = [request.exam_date]
    related += [r.exam_date for r in session.exec(query) if same_patient(r, request)]
    return max(related)


def decide_request_status(
    session: Session, request: ImageRequest, today: date
) -> StatusDecision:
    """Return what the status of ``request`` should be on ``today``."""
    state = RequestState(
        requester_type=request.requester_type,
        exam_date=request.exam_date,
        exam_description=request.exam_description,
        scope=request.scope,
        last_exam=patient_last_exam(session, request),
    )
    return decide_status(state, load_attached_documents(session, request.id), today)


def refresh_request_status(
    session: Session,
    request: ImageRequest,
    today: date,
    cause: str,
    actor: str = "matcher",
    record_unchanged: bool = False,
) -> bool:
    """Recompute one request's status; store it and its change if it changed.

    A closed request keeps its status and gets no change row, unless
    ``record_unchanged`` is set.

    Args:
        session: An open session; the caller commits.
        request: The stored request.
        today: The day the status is judged on.
        cause: What prompted the refresh, kept with the change.
        actor: Who or what made the change.
        record_unchanged: Store a change row even when the status and its
            reasons stay the same, so that a reviewer's action is on record.

    Returns:
        True when the status or its reasons changed.
    """
    if request.status == RequestStatus.CLOSED:
        if record_unchanged:
            _record_change(session, request, cause, actor)
        return False
    decision = decide_request_status(session, request, today)
    reasons = json.dumps(decision.reasons)
    history = session.exec(
        select(RequestStatusChange).where(RequestStatusChange.request_id == request.id)
    ).first()
    unchanged = request.status == decision.status and request.status_reasons == reasons
    if unchanged and history is not None:
        if record_unchanged:
            _record_change(session, request, cause, actor)
        return False

    request.status = decision.status
    request.status_reasons = reasons
    request.status_detail = decision.detail
    request.status_changed_at = store.utcnow()
    session.add(request)
    session.add(
        RequestStatusChange(
            request_id=request.id,
            status=decision.status,
            reasons=reasons,
            detail=decision.detail,
            cause=cause,
            actor=actor,
            changed_at=request.status_changed_at,
        )
    )
    log.info(
        "request %s status=%s reasons=%s",
        request.id,
        decision.status,
        ",".join(decision.reasons),
    )
    return True


def _record_change(
    session: Session, request: ImageRequest, cause: str, actor: str
) -> None:
    """Store a change row that repeats the request's current status."""
    session.add(
        RequestStatusChange(
            request_id=request.id,
            status=request.status,
            reasons=request.status_reasons,
            detail=request.status_detail,
            cause=cause,
            actor=actor,
            changed_at=request.status_changed_at or store.utcnow(),
        )
    )


def refresh_all_statuses(session: Session, today: date, cause: str) -> int:
    """Recompute every open request's status; return how many changed."""
    changed = 0
    query = select(ImageRequest).where(ImageRequest.status != RequestStatus.CLOSED)
    for request in session.exec(query).all():
        changed += refresh_request_status(session, request, today, cause)
    return changed


class RequestClosedError(ValueError):
    """The request is closed, so it takes no documents and cannot close again."""


def close_request(
    session: Session, request: ImageRequest, reason: str, actor: str
) -> None:
    """Set a request's status to closed and store the change with its reason.

    Args:
        session: An open session; the caller commits.
        request: The stored request.
        reason: Why staff closed it, stored as the change's detail.
        actor: Who closed it.

    Raises:
        RequestClosedError: The request is already closed.
        ValueError: ``reason`` is blank.
    """
    if request.status == RequestStatus.CLOSED:
        raise RequestClosedError(f"request {request.id} is already closed")
    if not reason.strip():
        raise ValueError("the reason for closing is empty; say why it is closed")
    request.status = str(RequestStatus.CLOSED)
    request.status_reasons = "[]"
    request.status_detail = reason.strip()
    request.status_changed_at = store.utcnow()
    session.add(request)
    _record_change(session, request, "request closed", actor)
    log.info("request %s closed by %s", request.id, actor)
