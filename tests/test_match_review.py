"""A person's decisions: attach a candidate, reject one, close a request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from intake import store
from matchers.match import attach_reviewed, refresh_statuses
from matchers.models import (
    CandidateRejection,
    DocumentMatch,
    ImageRequest,
    MatchCandidate,
    RequestStatusChange,
)
from matchers.review import (
    NotFoundError,
    ReviewConflictError,
    attach_candidate,
    close_and_rematch,
    reject_candidate,
)
from matchers.track import RequestClosedError
from tests.test_match_pipeline import (
    ANA,
    ANA_NAMESAKE,
    THRESHOLDS,
    TODAY,
    add,
    ana_form,
    attached_to,
    make_document,
    run_file,
    store_and_match,
)

GRACE_CT = {
    "request_id": "REQ-GRACE-1", "requester_type": "patient",
    "patient_name": "Grace Nakamura", "date_of_birth": "1985-03-03",
    "exam_date": "2026-01-05", "exam_description": "CT head without contrast",
}  # fmt: skip
GRACE_MRI = GRACE_CT | {
    "request_id": "REQ-GRACE-2",
    "exam_date": "2026-02-20",
    "exam_description": "MRI brain",
}


def candidates(engine: Engine, document_id: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(MatchCandidate.request_id)
            .where(MatchCandidate.document_id == document_id)
            .order_by(col(MatchCandidate.rank))
        ).all()
    return list(rows)


def last_change(engine: Engine, request_id: str) -> RequestStatusChange:
    with Session(engine) as session:
        change = session.exec(
            select(RequestStatusChange)
            .where(RequestStatusChange.request_id == request_id)
            .order_by(col(RequestStatusChange.id).desc())
        ).first()
    assert change is not None
    return change


def band_of(engine: Engine, document_id: str) -> str:
    with Session(engine) as session:
        match = session.get(DocumentMatch, document_id)
    assert match is not None
    return match.band


def grace_form(engine: Engine) -> None:
    form = make_document(
        "doc-grace",
        "third_party_release",
        patient_name="Grace Nakamura",
        date_of_birth="1985-03-03",
    )
    assert store_and_match(engine, form)["band"] == "review"
    assert set(candidates(engine, "doc-grace")) == {"REQ-GRACE-1", "REQ-GRACE-2"}


def name_only_form(engine: Engine) -> None:
    form = make_document("doc-1", "release_images", patient_name="Ana Lucía Ruiz Soto")
    assert store_and_match(engine, form)["band"] == "review"
    assert candidates(engine, "doc-1") == ["REQ-ANA", "REQ-ANA-2"]


def test_attach_candidate_records_reviewer() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    name_only_form(engine)
    attach_candidate(engine, "doc-1", "REQ-ANA-2", TODAY, "kim")
    assert attached_to(engine, "doc-1") == "REQ-ANA-2"
    with Session(engine) as session:
        match = session.get(DocumentMatch, "doc-1")
    assert match is not None
    assert match.attached_by == "reviewer:kim"
    change = last_change(engine, "REQ-ANA-2")
    assert change.actor == "reviewer:kim"
    assert change.cause == "document doc-1 attached"


def test_attach_candidate_checks_the_review() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE, GRACE_CT)
    name_only_form(engine)
    with pytest.raises(ReviewConflictError, match="not a candidate"):
        attach_candidate(engine, "doc-1", "REQ-GRACE-1", TODAY, "kim")
    with pytest.raises(NotFoundError, match="document 'doc-404' not found"):
        attach_candidate(engine, "doc-404", "REQ-ANA", TODAY, "kim")
    with pytest.raises(NotFoundError, match="request 'REQ-404' not found"):
        attach_candidate(engine, "doc-1", "REQ-404", TODAY, "kim")
    with pytest.raises(ValueError, match="user is empty"):
        attach_candidate(engine, "doc-1", "REQ-ANA", TODAY, "  ")
    attach_candidate(engine, "doc-1", "REQ-ANA", TODAY, "kim")
    with pytest.raises(ReviewConflictError, match="already attached"):
        attach_candidate(engine, "doc-1", "REQ-ANA-2", TODAY, "kim")


def test_rejecting_one_of_two_attaches_the_other() -> None:
    engine = store.open_database("sqlite://")
    add(engine, GRACE_CT, GRACE_MRI)
    grace_form(engine)
    reject_candidate(
        engine, "doc-grace", "REQ-GRACE-1", TODAY, "kim", THRESHOLDS, "MRI only"
    )
    assert attached_to(engine, "doc-grace") == "REQ-GRACE-2"
    assert band_of(engine, "doc-grace") == "auto"
    with Session(engine) as session:
        rejection = session.exec(select(CandidateRejection)).one()
    assert rejection.request_id == "REQ-GRACE-1"
    assert rejection.actor == "reviewer:kim"
    assert rejection.reason == "MRI only"
    change = last_change(engine, "REQ-GRACE-1")
    assert change.actor == "reviewer:kim"
    assert change.cause == "document doc-grace rejected as a candidate"


def test_rejected_request_never_offered_again() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    name_only_form(engine)
    reject_candidate(engine, "doc-1", "REQ-ANA-2", TODAY, "kim", THRESHOLDS)
    assert candidates(engine, "doc-1") == ["REQ-ANA"]
    assert band_of(engine, "doc-1") == "review"
    add(engine, GRACE_CT)  # matches every unattached document again
    assert candidates(engine, "doc-1") == ["REQ-ANA"]
    with pytest.raises(ReviewConflictError, match="not a candidate"):
        reject_candidate(engine, "doc-1", "REQ-ANA-2", TODAY, "kim", THRESHOLDS)


def test_letter_with_every_candidate_rejected_makes_request() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA_NAMESAKE)
    letter = make_document(
        "doc-letter",
        "physician_request",
        patient_name="Ana Lucía Ruiz Soto",
        date_of_birth="1971-04-09",
        exam_date="2026-02-10",
        physician_name="Priya Raman, MD",
    )
    assert store_and_match(engine, letter)["band"] == "review"
    reject_candidate(engine, "doc-letter", "REQ-ANA-2", TODAY, "kim", THRESHOLDS)
    assert attached_to(engine, "doc-letter") == "LTR-doc-letter"


def test_close_request_and_match_again() -> None:
    engine = store.open_database("sqlite://")
    add(engine, GRACE_CT, GRACE_MRI)
    grace_form(engine)
    attached = close_and_rematch(
        engine, "REQ-GRACE-1", "filled at the desk", "kim", TODAY, THRESHOLDS
    )
    assert attached == ["doc-grace"]
    assert attached_to(engine, "doc-grace") == "REQ-GRACE-2"
    change = last_change(engine, "REQ-GRACE-1")
    assert change.status == "closed"
    assert change.detail == "filled at the desk"
    assert change.cause == "request closed"
    assert change.actor == "reviewer:kim"

    refresh_statuses(engine, TODAY)
    with Session(engine) as session:
        request = session.get(ImageRequest, "REQ-GRACE-1")
        assert request is not None
        assert request.status == "closed"
    with pytest.raises(RequestClosedError, match="already closed"):
        close_and_rematch(engine, "REQ-GRACE-1", "again", "kim", TODAY, THRESHOLDS)
    with pytest.raises(ValueError, match="reason for closing is empty"):
        close_and_rematch(engine, "REQ-GRACE-2", " ", "kim", TODAY, THRESHOLDS)
    with pytest.raises(NotFoundError):
        close_and_rematch(engine, "REQ-404", "gone", "kim", TODAY, THRESHOLDS)


def test_closed_request_takes_no_document() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    close_and_rematch(engine, "REQ-ANA", "patient withdrew", "kim", TODAY, THRESHOLDS)
    output = store_and_match(engine, ana_form("doc-late"))
    assert output["band"] == "none"
    with pytest.raises(RequestClosedError, match="is closed"):
        attach_reviewed(engine, "doc-late", "REQ-ANA", TODAY, "reviewer:kim")


def test_moved_document_updates_the_request_it_left() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    store_and_match(engine, ana_form("doc-tp"))
    assert attached_to(engine, "doc-tp") == "REQ-ANA"
    attach_reviewed(engine, "doc-tp", "REQ-ANA-2", TODAY, "reviewer:kim")
    change = last_change(engine, "REQ-ANA")
    assert change.cause == "document doc-tp moved to request REQ-ANA-2"
    assert (
        change.reasons == '["release_images_form_missing", "third_party_form_missing"]'
    )


def test_cover_naming_another_patient_goes_to_review() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    cover = make_document("doc-cover", "fax_cover", patient_name="Grace Nakamura")
    records = run_file(engine, "fax-9.tif", [cover, ana_form("doc-form")])
    assert records[1]["match"]["request_id"] == "REQ-ANA"
    assert records[0]["match"]["request_id"] is None
    assert records[0]["match"]["band"] == "review"
    assert candidates(engine, "doc-cover") == ["REQ-ANA"]


def test_cover_naming_the_patient_follows_its_file() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    cover = make_document("doc-cover", "fax_cover", patient_name="Ana Ruiz Soto")
    records = run_file(engine, "fax-8.tif", [cover, ana_form("doc-form")])
    assert records[0]["match"] == {
        "request_id": "REQ-ANA",
        "score": None,
        "band": "auto",
    }


@pytest.mark.postgres
def test_review_actions_on_postgres(postgres_url: str) -> None:
    engine = store.open_database(postgres_url)
    try:
        add(engine, GRACE_CT, GRACE_MRI, ANA, ANA_NAMESAKE)
        grace_form(engine)
        reject_candidate(engine, "doc-grace", "REQ-GRACE-1", TODAY, "kim", THRESHOLDS)
        assert attached_to(engine, "doc-grace") == "REQ-GRACE-2"
        name_only_form(engine)
        close_and_rematch(engine, "REQ-ANA-2", "duplicate", "kim", TODAY, THRESHOLDS)
        assert candidates(engine, "doc-1") == ["REQ-ANA"]
        attach_candidate(engine, "doc-1", "REQ-ANA", TODAY, "kim")
        assert attached_to(engine, "doc-1") == "REQ-ANA"
    finally:
        engine.dispose()
