"""The match stage: attach stored documents to open requests, or not.

``match_stored_document`` runs after the pipeline stores a document. It
scores the document against the open requests that share a blocking key
with it (``matchers.blocking``, scoring in ``matchers.score``), stores the
ranked candidates with their per-field breakdown, and attaches the
document only in the ``auto`` band. A physician's letter that matches no
request at all (band ``none``) becomes a new outside-physician request.
``add_requests`` stores new requests and then matches every unattached
document again, since the new request may be the one it was waiting for.
A document the matcher does not score (a fax cover, a page that names no
patient) follows the documents it was sent with (``settle_companions``).
Closed requests and the requests a reviewer rejected for a document are
never offered to it.

An attachment, once made, is not undone by later matching: a document is
re-scored only while it is unattached.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from intake import store
from intake.reasons import Reason
from intake.settings import Settings
from intake.types import Document
from matchers.blocking import (
    blocked_requests,
    index_unkeyed_requests,
    store_request_keys,
)
from matchers.models import (
    CandidateRejection,
    DocumentMatch,
    ImageRequest,
    MatchCandidate,
)
from matchers.requests import (
    InvalidRequestError,
    RawRow,
    RequestBatch,
    build_row,
    check_row,
    find_conflicts,
    request_facts,
)
from matchers.score import (
    BandDecision,
    DocumentFacts,
    PairScore,
    Thresholds,
    choose_band,
    rank_requests,
    score_pair,
)
from matchers.status import RequestStatus
from matchers.track import (
    RequestClosedError,
    refresh_all_statuses,
    refresh_request_status,
)

log = logging.getLogger(__name__)

MATCHED_TYPES = ("release_images", "third_party_release", "physician_request", "other")
"""Document types compared with requests; an "other" document only when it
names a patient (a law firm's or a records office's request)."""
MAX_STORED_CANDIDATES = 5
LIKELY_DUPLICATE = str(Reason.LIKELY_DUPLICATE)
COMPANION_NOTE = "not scored on its own; sent in one file with this request's documents"
COMPANION_REVIEW_NOTE = (
    "not scored on its own; sent in one file with documents that are not all "
    "attached to one request"
)


@dataclass(frozen=True)
class AddSummary:
    """The outcome of storing a batch of requests."""

    created: list[str]
    unchanged: list[str]
    attached: list[str]
    """Documents attached automatically when unattached ones were matched again."""


def thresholds_from(settings: Settings) -> Thresholds:
    """Return the band thresholds set in ``settings``."""
    return Thresholds(
        auto_score=settings.match_auto_score,
        review_score=settings.match_review_score,
        margin=settings.match_margin,
    )


def facts_from_document(
    document: Document, source_file_id: int | None
) -> DocumentFacts:
    """Return the matcher's view of a document the pipeline just analysed."""
    return DocumentFacts(
        document_id=document.doc_id,
        doc_type=document.doc_type,
        fields={name: value.value for name, value in document.fields.items()},
        reasons=tuple(document.reasons),
        source_file_id=source_file_id,
    )


def load_document_facts(session: Session, document_id: str) -> DocumentFacts | None:
    """Return the matcher's view of a stored document, None if it is not stored."""
    record = session.get(store.DocumentRecord, document_id)
    if record is None:
        return None
    rows = session.exec(
        select(store.FieldRecord).where(store.FieldRecord.document_id == document_id)
    ).all()
    return DocumentFacts(
        document_id=record.id,
        doc_type=record.doc_type,
        fields={row.name: row.value for row in rows},
        reasons=tuple(json.loads(record.reasons)),
        source_file_id=record.source_file_id,
    )


def match_output(decision: BandDecision) -> dict[str, Any]:
    """Return the ``match`` object of a document's JSON output."""
    return {
        "request_id": decision.attached_request_id,
        "score": None if decision.best is None else round(decision.best.total, 2),
        "band": decision.band,
    }


def match_stored_document(
    engine: Engine,
    document: Document,
    source_file_id: int,
    today: date,
    thresholds: Thresholds,
) -> dict[str, Any]:
    """Match a document the pipeline has just stored; return its ``match`` output."""
    facts = facts_from_document(document, source_file_id)
    with Session(engine, expire_on_commit=False) as session:
        decision = match_or_create_request(session, facts, today, thresholds)
        session.commit()
    return match_output(decision)


def match_or_create_request(
    session: Session, facts: DocumentFacts, today: date, thresholds: Thresholds
) -> BandDecision:
    """Match a document; a letter in band ``none`` becomes a request of its own.

    After a new request is made from a letter, the unattached documents are
    matched again, since the letter's forms may have come before it.
    """
    decision = match_document(session, facts, today, thresholds)
    if decision.band == "none" and facts.doc_type == "physician_request":
        request = create_request_from_letter(session, facts, today)
        if request is not None:
            decision = _attach_to_new_request(session, facts, request, today)
            rematch_unattached(session, today, thresholds)
    return decision


def match_document(
    session: Session, facts: DocumentFacts, today: date, thresholds: Thresholds
) -> BandDecision:
    """Score one stored document, store its candidates, attach it in band auto."""
    if facts.doc_type not in MATCHED_TYPES or not facts.has_identity:
        note = (
            "not scored: names no patient"
            if facts.doc_type in MATCHED_TYPES
            else f"not scored: a {facts.doc_type} follows its file"
        )
        decision = BandDecision("none", None, None, [], note)
        _store_decision(session, facts.document_id, decision)
        return decision

    facts = replace(facts, file_requests=file_requests(session, facts))
    index_unkeyed_requests(session)
    rejected = rejected_requests(session, facts.document_id)
    requests = [
        request_facts(row)
        for row in blocked_requests(session, facts)
        if row.id not in rejected
    ]
    decision = choose_band(rank_requests(facts, requests), thresholds)
    if decision.band == "auto" and LIKELY_DUPLICATE in facts.reasons:
        # A second copy of paper already received waits for a person, on
        # every path that matches again (new requests, closing, rejection).
        decision = replace(
            decision, band="review", note="held back: likely re-scan of an earlier file"
        )
    _store_decision(session, facts.document_id, decision)
    if decision.band == "auto" and decision.best is not None:
        attach(session, facts.document_id, decision.best.request_id, today, "matcher")
    log.info(
        "document %s band=%s score=%s margin=%s candidates=%d",
        facts.document_id, decision.band,
        None if decision.best is None else decision.best.total,
        decision.margin, len(decision.candidates),
    )  # fmt: skip
    return decision


def rejected_requests(session: Session, document_id: str) -> frozenset[str]:
    """Return the requests a reviewer rejected for this document."""
    rows = session.exec(
        select(CandidateRejection.request_id).where(
            CandidateRejection.document_id == document_id
        )
    ).all()
    return frozenset(rows)


def file_requests(session: Session, facts: DocumentFacts) -> frozenset[str]:
    """Return the requests holding other documents of the document's source file."""
    if facts.source_file_id is None:
        return frozenset()
    rows = session.exec(
        select(store.DocumentRecord.match_request_id)
        .where(store.DocumentRecord.source_file_id == facts.source_file_id)
        .where(store.DocumentRecord.id != facts.document_id)
        .where(col(store.DocumentRecord.match_request_id).is_not(None))
    ).all()
    return frozenset(row for row in rows if row is not None)


def _store_decision(session: Session, document_id: str, decision: BandDecision) -> None:
    session.exec(
        delete(MatchCandidate).where(col(MatchCandidate.document_id) == document_id)
    )
    for rank, candidate in enumerate(decision.candidates[:MAX_STORED_CANDIDATES], 1):
        session.add(
            MatchCandidate(
                document_id=document_id,
                request_id=candidate.request_id,
                rank=rank,
                score=candidate.total,
                breakdown=json.dumps(candidate.breakdown()),
            )
        )
    row = session.get(DocumentMatch, document_id) or DocumentMatch(
        document_id=document_id, band=decision.band
    )
    row.band = decision.band
    row.best_request_id = None if decision.best is None else decision.best.request_id
    row.score = None if decision.best is None else decision.best.total
    row.margin = decision.margin
    row.note = decision.note
    row.matched_at = store.utcnow()
    session.add(row)

    record = session.get(store.DocumentRecord, document_id)
    if record is not None:
        record.match_score = row.score
        session.add(record)


def attach(
    session: Session,
    document_id: str,
    request_id: str,
    today: date,
    actor: str,
    record_unchanged: bool = False,
) -> None:
    """Attach a stored document to a request and bring the request's status up to date.

    A document attached elsewhere before is moved, and the request it left
    gets its status brought up to date as well.

    Args:
        record_unchanged: Store a status change row on the request even when
            its status stays the same, so that a reviewer's action is on record.

    Raises:
        LookupError: The document or the request is not stored.
        RequestClosedError: The request is closed.
    """
    record = session.get(store.DocumentRecord, document_id)
    request = session.get(ImageRequest, request_id)
    if record is None or request is None:
        missing = "document" if record is None else "request"
        raise LookupError(
            f"{missing} not found: {document_id if record is None else request_id}"
        )
    if request.status == RequestStatus.CLOSED:
        raise RequestClosedError(
            f"request {request_id} is closed; attach document {document_id} "
            f"to an open request"
        )

    previous = record.match_request_id
    record.match_request_id = request_id
    session.add(record)
    match = session.get(DocumentMatch, document_id) or DocumentMatch(
        document_id=document_id, band="auto" if actor == "matcher" else "review"
    )
    match.attached_request_id = request_id
    match.attached_by = actor
    session.add(match)
    session.flush()
    refresh_request_status(
        session,
        request,
        today,
        cause=f"document {document_id} attached",
        actor=actor,
        record_unchanged=record_unchanged,
    )
    left = (
        None if previous in (None, request_id) else session.get(ImageRequest, previous)
    )
    if left is not None:
        refresh_request_status(
            session,
            left,
            today,
            cause=f"document {document_id} moved to request {request_id}",
            actor=actor,
            record_unchanged=record_unchanged,
        )
    log.info("document %s attached to request %s by %s", document_id, request_id, actor)


def create_request_from_letter(
    session: Session, facts: DocumentFacts, today: date
) -> ImageRequest | None:
    """Store an outside-physician request made from a letter that matched nothing.

    Returns None when the letter lacks what a request needs (a valid patient
    name, date of birth, exam date and the physician's name), so a person
    reviews it instead.
    """
    values = {
        "request_id": f"LTR-{facts.document_id}",
        "requester_type": "outside_physician",
        "patient_name": facts.value("patient_name"),
        "date_of_birth": facts.value("date_of_birth"),
        "mrn": facts.value("mrn"),
        "exam_date": facts.value("exam_date"),
        "exam_description": facts.value("exam_description"),
        "requester_name": facts.value("physician_name"),
        "requester_contact": facts.value("physician_fax"),
    }
    request, problems = check_row(
        RawRow(None, values), f"letter {facts.document_id}", today
    )
    if request is None:
        log.info(
            "letter %s not made into a request: %d invalid value(s)",
            facts.document_id,
            len(problems),
        )
        return None
    row = build_row(request, origin="letter", document_id=facts.document_id)
    session.add(row)
    store_request_keys(session, [row])
    session.flush()
    log.info("request %s created from letter %s", row.id, facts.document_id)
    return row


def _attach_to_new_request(
    session: Session, facts: DocumentFacts, request: ImageRequest, today: date
) -> BandDecision:
    own_score = score_pair(facts, request_facts(request))
    decision = BandDecision(
        "auto", own_score, None, [own_score], "request made from this letter"
    )
    _store_decision(session, facts.document_id, decision)
    attach(session, facts.document_id, request.id, today, "letter")
    return decision


def settle_companions(
    session: Session, source_file_ids: Iterable[int], today: date
) -> list[str]:
    """Attach the companions of each file to its request, or list them for review.

    A companion is a document the matcher does not score: a fax cover, or
    a page that names no patient. It travels with the documents it was
    sent with. When every scored document of its file is attached, all to
    the same open request, the companion is attached there too, unless it
    names another patient than the request's (``_companion_fits``).

    Otherwise the companion goes to review with the requests that its file's
    documents are attached to or list as candidates, and stays in band
    ``none`` when there are none.

    Returns:
        The ids of the documents attached.
    """
    attached = []
    for source_file_id in sorted(set(source_file_ids)):
        records = session.exec(
            select(store.DocumentRecord)
            .where(store.DocumentRecord.source_file_id == source_file_id)
            .order_by(col(store.DocumentRecord.created_at))
        ).all()
        facts = {
            record.id: load_document_facts(session, record.id) for record in records
        }
        scored = [r for r in records if is_scored(facts[r.id])]
        companions = [
            r for r in records if r not in scored and r.match_request_id is None
        ]
        if not scored or not companions:
            continue
        targets = {record.match_request_id for record in scored}
        attached_to = frozenset(t for t in targets if t is not None)
        target = next(iter(targets)) if len(targets) == 1 else None
        request = None if target is None else session.get(ImageRequest, target)
        if request is not None and request.status == RequestStatus.CLOSED:
            request = None
        candidates = _file_candidates(session, scored)
        for companion in companions:
            companion_facts = facts[companion.id]
            assert companion_facts is not None
            companion_facts = replace(companion_facts, file_requests=attached_to)
            if request is not None:
                pair = score_pair(companion_facts, request_facts(request))
                if _companion_fits(pair):
                    # No score of its own: its evidence is its file's.
                    decision = BandDecision("auto", None, None, [pair], COMPANION_NOTE)
                    _store_decision(session, companion.id, decision)
                    attach(session, companion.id, request.id, today, "bundle")
                    attached.append(companion.id)
                    continue
            _list_companion(session, companion_facts, candidates)
    return attached


def is_scored(facts: DocumentFacts | None) -> bool:
    """Return True for a document the matcher scores: a matched type that names a patient."""
    return facts is not None and facts.doc_type in MATCHED_TYPES and facts.has_identity


def _companion_fits(pair: PairScore) -> bool:
    """Return True unless the companion names another patient than the request's.

    A companion without a name, birth date or record number always fits. Its
    other fields count for nothing here, because the dates on an unscored
    page may not be the exam's (an insurer's letter gives the end date of
    its approval).
    """
    return (
        pair.level("patient_name") not in ("partial", "disagree")
        and pair.level("date_of_birth") != "disagree"
        and pair.level("mrn") != "disagree"
    )


def _file_candidates(
    session: Session, scored: list[store.DocumentRecord]
) -> list[ImageRequest]:
    """Return the open requests that a file's scored documents are attached to or list."""
    ids = {r.match_request_id for r in scored if r.match_request_id is not None}
    unattached = [r.id for r in scored if r.match_request_id is None]
    if unattached:
        ids |= set(
            session.exec(
                select(MatchCandidate.request_id).where(
                    col(MatchCandidate.document_id).in_(unattached)
                )
            ).all()
        )
    if not ids:
        return []
    return list(
        session.exec(
            select(ImageRequest)
            .where(col(ImageRequest.id).in_(sorted(ids)))
            .where(ImageRequest.status != RequestStatus.CLOSED)
        ).all()
    )


def _list_companion(
    session: Session, facts: DocumentFacts, requests: list[ImageRequest]
) -> None:
    rejected = rejected_requests(session, facts.document_id)
    ranked = rank_requests(
        facts, [request_facts(r) for r in requests if r.id not in rejected]
    )
    if not ranked:
        decision = BandDecision("none", None, None, [], "no candidate in its file")
    else:
        margin = ranked[0].total - ranked[1].total if len(ranked) > 1 else None
        decision = BandDecision(
            "review", ranked[0], margin, ranked, COMPANION_REVIEW_NOTE
        )
    _store_decision(session, facts.document_id, decision)


def finish_file(
    engine: Engine,
    source_file_id: int,
    documents: list[Document],
    today: date,
    thresholds: Thresholds,
) -> None:
    """Match a just-stored file's documents again now that all are in; update outputs.

    A document matched before a later one of its file was attached gains
    the ``same_file`` evidence on this second pass, and the documents that
    are not scored follow the rest (``settle_companions``). Each
    document's ``match`` output is then set from what was stored.
    """
    with Session(engine) as session:
        for document in documents:
            facts = load_document_facts(session, document.doc_id)
            record = session.get(store.DocumentRecord, document.doc_id)
            unattached = record is not None and record.match_request_id is None
            if facts is not None and facts.has_identity and unattached:
                match_document(session, facts, today, thresholds)
        settle_companions(session, [source_file_id], today)
        session.commit()
        for document in documents:
            document.match = stored_match_output(session, document.doc_id)


def stored_match_output(session: Session, document_id: str) -> dict[str, Any]:
    """Return the ``match`` output of a stored document from its stored match."""
    match = session.get(DocumentMatch, document_id)
    if match is None:
        return {"request_id": None, "score": None, "band": "none"}
    score = None if match.score is None else round(match.score, 2)
    return {"request_id": match.attached_request_id, "score": score, "band": match.band}


def unattached_document_ids(session: Session) -> list[str]:
    """Return the stored documents of matched types not yet attached to a request."""
    rows = session.exec(
        select(store.DocumentRecord.id)
        .where(col(store.DocumentRecord.match_request_id).is_(None))
        .where(col(store.DocumentRecord.doc_type).in_(MATCHED_TYPES))
        .order_by(store.DocumentRecord.created_at)
    ).all()
    return list(rows)


def rematch_unattached(
    session: Session, today: date, thresholds: Thresholds
) -> list[str]:
    """Match every unattached document again; return those now attached.

    Documents that are not scored follow the documents of their file
    (``settle_companions``) and are among those returned. Each document is
    scored against its blocks only (``matchers.blocking``).
    """
    attached = []
    files = set()
    for document_id in unattached_document_ids(session):
        facts = load_document_facts(session, document_id)
        if facts is None or not facts.has_identity:
            continue
        decision = match_document(session, facts, today, thresholds)
        if facts.source_file_id is not None:
            files.add(facts.source_file_id)
        if decision.band == "auto":
            attached.append(document_id)
    return attached + settle_companions(session, files, today)


def add_requests(
    engine: Engine,
    batch: RequestBatch,
    today: date,
    thresholds: Thresholds,
    origin: str,
) -> AddSummary:
    """Store new requests, match unattached documents again, refresh statuses.

    Raises:
        InvalidRequestError: A request id is already stored with other values;
            nothing is stored then.
    """
    with Session(engine, expire_on_commit=False) as session:
        new, problems = find_conflicts(session, batch)
        if problems:
            raise InvalidRequestError(problems)
        rows = [build_row(request, origin) for request in new]
        session.add_all(rows)
        store_request_keys(session, rows)
        session.flush()
        attached = rematch_unattached(session, today, thresholds) if new else []
        refresh_all_statuses(session, today, cause=f"{len(new)} request(s) added")
        session.commit()
    created = [request.request_id for request in new]
    unchanged = [r.request_id for r in batch.requests if r.request_id not in created]
    log.info(
        "requests added=%d unchanged=%d documents attached=%d",
        len(created),
        len(unchanged),
        len(attached),
    )
    return AddSummary(created, unchanged, attached)


def refresh_statuses(engine: Engine, today: date) -> int:
    """Bring every request's status up to ``today``; return how many changed."""
    with Session(engine) as session:
        changed = refresh_all_statuses(session, today, cause=f"status as of {today}")
        session.commit()
    return changed


def attach_reviewed(
    engine: Engine, document_id: str, request_id: str, today: date, reviewer: str
) -> None:
    """Attach a document to the request a reviewer picked, with no checks.

    ``matchers.review.attach_candidate`` is the reviewer's action with its
    checks (the document in review, the request among its candidates).

    Raises:
        LookupError: The document or the request is not stored.
        RequestClosedError: The request is closed.
    """
    with Session(engine) as session:
        attach(session, document_id, request_id, today, reviewer)
        record = session.get(store.DocumentRecord, document_id)
        assert record is not None
        settle_companions(session, [record.source_file_id], today)
        session.commit()
