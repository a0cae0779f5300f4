"""Database tables of the matching stage: requests, their history, matches.

They share ``SQLModel.metadata`` with ``intake.store``, so
``intake.store.open_database`` creates them with the others once this
module has been imported. Patient values live in these tables and in the
document tables only, never in logs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from intake import store


class ImageRequest(SQLModel, table=True):
    """An open request for copies of a patient's images."""

    id: str = Field(primary_key=True)
    requester_type: str = Field(index=True)
    """patient, inside_physician, outside_physician or legal."""
    patient_name: str
    date_of_birth: date
    mrn: str | None = None
    exam_date: date
    exam_description: str | None = None
    requester_name: str
    requester_contact: str | None = None
    scope: str = "images"
    """images, or report_only for a request for the written report alone."""
    origin: str = "import"
    """import (a file), api (the JSON endpoint) or letter (a letterhead request)."""
    origin_document_id: str | None = None
    """The letter a request was created from, when its origin is letter."""
    status: str = Field(default="waiting_for_forms", index=True)
    status_reasons: str = "[]"
    """JSON list of the reason codes behind the status."""
    status_detail: str = ""
    created_at: datetime = Field(default_factory=store.utcnow)
    status_changed_at: datetime = Field(default_factory=store.utcnow)


class RequestStatusChange(SQLModel, table=True):
    """One change of a request's status, with when and why it happened."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="imagerequest.id", index=True)
    status: str
    reasons: str
    """JSON list of reason codes."""
    detail: str = ""
    cause: str = ""
    """The event that led to the change (an import, an attachment, a new day)."""
    actor: str = "matcher"
    changed_at: datetime = Field(default_factory=store.utcnow)


class DocumentMatch(SQLModel, table=True):
    """The latest match of one document: its band and best score."""

    document_id: str = Field(primary_key=True, foreign_key="documentrecord.id")
    band: str = Field(index=True)
    """auto, review or none."""
    best_request_id: str | None = None
    score: float | None = None
    """The best candidate's score, None when there was no candidate."""
    margin: float | None = None
    """Best score minus the second best."""
    note: str = ""
    attached_request_id: str | None = Field(default=None, index=True)
    attached_by: str | None = None
    """matcher (automatic), letter (the request was made from it) or a reviewer."""
    matched_at: datetime = Field(default_factory=store.utcnow)


class MatchCandidate(SQLModel, table=True):
    """A request ranked for a document, with its score broken down by field."""

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    request_id: str = Field(foreign_key="imagerequest.id", index=True)
    rank: int
    """1 for the best candidate."""
    score: float
    breakdown: str
    """JSON list of {field, level, weight, m, u, note}."""
    computed_at: datetime = Field(default_factory=store.utcnow)


class RequestKey(SQLModel, table=True):
    """A blocking key of a request: a value that a document must share to be scored.

    ``matchers.blocking`` writes the keys when a request is stored and
    looks them up for each document, so only the requests that share a
    key with the document are scored.
    """

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="imagerequest.id", index=True)
    key: str = Field(index=True)
    """A kind and a value, such as ``dob:1971-04-09`` or ``sound:RS``."""


class CandidateRejection(SQLModel, table=True):
    """A reviewer's decision that a request is not the document's request.

    The matcher never offers a rejected request to the document again.
    """

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    request_id: str = Field(foreign_key="imagerequest.id", index=True)
    actor: str
    """The reviewer, stored as ``reviewer:<user>``."""
    reason: str = ""
    rejected_at: datetime = Field(default_factory=store.utcnow)
