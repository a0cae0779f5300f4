"""JSON-ready views of requests and match candidates, for the CLI and the API.

These views contain patient data (names, dates of birth, field values);
print them or send them to an authorized client, never log them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from intake import store
from matchers.models import (
    CandidateRejection,
    DocumentMatch,
    ImageRequest,
    MatchCandidate,
    RequestStatusChange,
)


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def request_view(row: ImageRequest) -> dict[str, Any]:
    """Return a stored request's values and status."""
    return {
        "request_id": row.id,
        "requester_type": row.requester_type,
        "patient_name": row.patient_name,
        "date_of_birth": _iso(row.date_of_birth),
        "mrn": row.mrn,
        "exam_date": _iso(row.exam_date),
        "exam_description": row.exam_description,
        "requester_name": row.requester_name,
        "requester_contact": row.requester_contact,
        "scope": row.scope,
        "origin": row.origin,
        "status": row.status,
        "reasons": json.loads(row.status_reasons),
        "status_detail": row.status_detail,
        "status_changed_at": _iso(row.status_changed_at),
    }


def _candidate_view(candidate: MatchCandidate) -> dict[str, Any]:
    return {
        "document_id": candidate.document_id,
        "request_id": candidate.request_id,
        "rank": candidate.rank,
        "score": candidate.score,
        "fields": json.loads(candidate.breakdown),
    }


def attached_documents_view(session: Session, request_id: str) -> list[dict[str, Any]]:
    """Return the documents attached to a request, each with its score breakdown."""
    records = session.exec(
        select(store.DocumentRecord)
        .where(store.DocumentRecord.match_request_id == request_id)
        .order_by(store.DocumentRecord.created_at)
    ).all()
    views = []
    for record in records:
        match = session.get(DocumentMatch, record.id)
        candidate = session.exec(
            select(MatchCandidate)
            .where(MatchCandidate.document_id == record.id)
            .where(MatchCandidate.request_id == request_id)
        ).first()
        views.append({
            "document_id": record.id,
            "doc_type": record.doc_type,
            "status": record.status,
            "reasons": json.loads(record.reasons),
            "attached_by": None if match is None else match.attached_by,
            "band": None if match is None else match.band,
            "score": None if candidate is None else candidate.score,
            "fields": [] if candidate is None else json.loads(candidate.breakdown),
        })  # fmt: skip
    return views


def review_documents_view(session: Session, request_id: str) -> list[dict[str, Any]]:
    """Return unattached documents in review that list this request as a candidate."""
    rows = session.exec(
        select(MatchCandidate, DocumentMatch)
        .where(MatchCandidate.request_id == request_id)
        .where(col(MatchCandidate.document_id) == col(DocumentMatch.document_id))
        .where(DocumentMatch.band == "review")
        .where(col(DocumentMatch.attached_request_id).is_(None))
        .order_by(col(MatchCandidate.score).desc())
    ).all()
    return [
        _candidate_view(candidate) | {"note": match.note} for candidate, match in rows
    ]


def history_view(session: Session, request_id: str) -> list[dict[str, Any]]:
    """Return a request's status changes, oldest first."""
    changes = session.exec(
        select(RequestStatusChange)
        .where(RequestStatusChange.request_id == request_id)
        .order_by(col(RequestStatusChange.changed_at), col(RequestStatusChange.id))
    ).all()
    return [
        {
            "status": change.status,
            "reasons": json.loads(change.reasons),
            "detail": change.detail,
            "cause": change.cause,
            "actor": change.actor,
            "changed_at": _iso(change.changed_at),
        }
        for change in changes
    ]


def request_summary(session: Session, row: ImageRequest) -> dict[str, Any]:
    """Return a request with its documents, review candidates and history."""
    return request_view(row) | {
        "documents": attached_documents_view(session, row.id),
        "in_review": review_documents_view(session, row.id),
        "history": history_view(session, row.id),
    }


def document_review_view(session: Session, document_id: str) -> dict[str, Any] | None:
    """Return a document's band and ranked candidates, None if it was never matched."""
    match = session.get(DocumentMatch, document_id)
    if match is None:
        return None
    candidates = session.exec(
        select(MatchCandidate)
        .where(MatchCandidate.document_id == document_id)
        .order_by(col(MatchCandidate.rank))
    ).all()
    return {
        "document_id": document_id,
        "band": match.band,
        "score": match.score,
        "margin": match.margin,
        "note": match.note,
        "attached_request_id": match.attached_request_id,
        "attached_by": match.attached_by,
        "candidates": [_candidate_view(candidate) for candidate in candidates],
        "rejected": rejections_view(session, document_id),
    }


def rejections_view(session: Session, document_id: str) -> list[dict[str, Any]]:
    """Return the candidates reviewers rejected for a document, oldest first."""
    rows = session.exec(
        select(CandidateRejection)
        .where(CandidateRejection.document_id == document_id)
        .order_by(col(CandidateRejection.rejected_at), col(CandidateRejection.id))
    ).all()
    return [
        {
            "request_id": row.request_id,
            "actor": row.actor,
            "reason": row.reason,
            "rejected_at": _iso(row.rejected_at),
        }
        for row in rows
    ]
