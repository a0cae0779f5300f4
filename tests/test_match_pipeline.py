"""Matching through the database: attach, re-match, letters, pipeline output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from intake import store
from intake.pipeline import FileResult, RunContext, record_result
from intake.settings import Settings
from intake.types import Check, Document, FieldValue, Page
from matchers.match import (
    add_requests,
    attach_reviewed,
    match_stored_document,
    thresholds_from,
)
from matchers.models import (
    DocumentMatch,
    ImageRequest,
    MatchCandidate,
    RequestStatusChange,
)
from matchers.requests import RawRow, check_rows
from matchers.summary import document_review_view, request_summary

TODAY = date(2026, 3, 10)
THRESHOLDS = thresholds_from(Settings())

ANA = {
    "request_id": "REQ-ANA", "requester_type": "patient",
    "patient_name": "Ana Lucía Ruiz Soto", "date_of_birth": "1971-04-09",
    "mrn": "00451273", "exam_date": "2026-02-10",
    "exam_description": "CT abdomen and pelvis with contrast",
}  # fmt: skip
ANA_NAMESAKE = ANA | {
    "request_id": "REQ-ANA-2",
    "date_of_birth": "1968-11-23",
    "mrn": "",
    "exam_description": "MRI left knee",
}


def add(engine: Engine, *requests: dict[str, str]) -> list[str]:
    rows = [RawRow(number, values) for number, values in enumerate(requests, 1)]
    batch = check_rows(rows, "test", TODAY)
    return add_requests(engine, batch, TODAY, THRESHOLDS, "import").attached


def make_document(doc_id: str, doc_type: str, **fields: str) -> Document:
    page = Page(
        source=Path("fax.tif"), number=1, image=Image.new("L", (20, 30)), dpi=200
    )
    document = Document(source=Path("fax.tif"), pages=[page], doc_type=doc_type)
    document.doc_id = doc_id
    document.confidence = 0.97
    document.status = "accepted"
    document.fields = {name: FieldValue(value, 0.9) for name, value in fields.items()}
    if doc_type in ("release_images", "third_party_release"):
        document.checks = {
            "signed": Check("signed", True, 0.95),
            "signature_date": Check("signature_date", True, 0.95, value="2026-03-01"),
        }
    if doc_type == "third_party_release":
        document.checks |= {
            name: Check(name, True, 0.95)
            for name in ("xray_scan_reports_checked", "release_to")
        }
    return document


def store_and_match(engine: Engine, document: Document) -> dict[str, object]:
    source = store.save_source(
        engine, store.SourceFile(path="fax.tif", sha256="0" * 64, size=1)
    )
    assert source.id is not None
    store.save_document(engine, source.id, document)
    return match_stored_document(engine, document, source.id, TODAY, THRESHOLDS)


def attached_to(engine: Engine, document_id: str) -> str | None:
    with Session(engine) as session:
        record = session.get(store.DocumentRecord, document_id)
        assert record is not None
        return record.match_request_id


def ana_form(doc_id: str, doc_type: str = "third_party_release") -> Document:
    return make_document(
        doc_id,
        doc_type,
        patient_name="RUIZ SOTO, ANA LUCIA",
        date_of_birth="1971-04-09",
    )


def test_document_attached_and_request_status_updated() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    output = store_and_match(engine, ana_form("doc-tp"))
    assert output["band"] == "auto"
    assert output["request_id"] == "REQ-ANA"
    assert isinstance(output["score"], float)
    assert attached_to(engine, "doc-tp") == "REQ-ANA"

    store_and_match(engine, ana_form("doc-ri", "release_images"))
    with Session(engine) as session:
        request = session.get(ImageRequest, "REQ-ANA")
        assert request is not None
        assert request.status == "complete"
        causes = session.exec(
            select(RequestStatusChange.cause).where(
                RequestStatusChange.request_id == "REQ-ANA"
            )
        ).all()
        summary = request_summary(session, request)
    assert causes == [
        "2 request(s) added",
        "document doc-tp attached",
        "document doc-ri attached",
    ]
    assert [d["document_id"] for d in summary["documents"]] == ["doc-tp", "doc-ri"]
    assert summary["documents"][0]["fields"][1]["field"] == "date_of_birth"


def test_candidates_stored_with_breakdown() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    document = make_document(
        "doc-1", "third_party_release", patient_name="Ana Lucía Ruiz Soto"
    )
    output = store_and_match(engine, document)
    assert output == {"request_id": None, "score": output["score"], "band": "review"}
    with Session(engine) as session:
        view = document_review_view(session, "doc-1")
        rows = session.exec(select(MatchCandidate)).all()
    assert view is not None
    assert [c["request_id"] for c in view["candidates"]] == ["REQ-ANA", "REQ-ANA-2"]
    assert view["note"] == "best score under the automatic score"
    levels = {part["field"]: part["level"] for part in view["candidates"][0]["fields"]}
    assert levels["patient_name"] == "exact"
    assert levels["date_of_birth"] == "missing"
    assert json.loads(rows[0].breakdown)[0]["m"] == 0.80
    assert attached_to(engine, "doc-1") is None


def test_waiting_document_attached_when_request_arrives() -> None:
    engine = store.open_database("sqlite://")
    output = store_and_match(engine, ana_form("doc-early"))
    assert output["band"] == "none"
    assert add(engine, ANA) == ["doc-early"]
    assert attached_to(engine, "doc-early") == "REQ-ANA"
    with Session(engine) as session:
        match = session.get(DocumentMatch, "doc-early")
    assert match is not None
    assert match.band == "auto"
    assert match.attached_by == "matcher"


def test_rescan_waits_for_person_when_request_arrives() -> None:
    engine = store.open_database("sqlite://")
    document = ana_form("doc-rescan")
    document.reasons = ["likely_duplicate"]
    store_and_match(engine, document)

    assert add(engine, ANA) == []

    assert attached_to(engine, "doc-rescan") is None
    with Session(engine) as session:
        match = session.get(DocumentMatch, "doc-rescan")
    assert match is not None
    assert match.band == "review"
    assert "re-scan" in match.note


def test_letter_without_request_creates_one() -> None:
    engine = store.open_database("sqlite://")
    form = make_document(
        "doc-form",
        "third_party_release",
        patient_name="Bill Whitaker",
        date_of_birth="1980-12-01",
    )
    assert store_and_match(engine, form)["band"] == "none"

    letter = make_document(
        "doc-letter",
        "physician_request",
        patient_name="William Whitaker",
        date_of_birth="1980-12-01",
        exam_date="2026-02-11",
        exam_description="MRI left knee",
        physician_name="Rebecca Thornton, MD",
        physician_fax="503-555-0148",
    )
    output = store_and_match(engine, letter)
    assert output["request_id"] == "LTR-doc-letter"
    assert output["band"] == "auto"
    assert attached_to(engine, "doc-form") == "LTR-doc-letter"

    with Session(engine) as session:
        request = session.get(ImageRequest, "LTR-doc-letter")
        match = session.get(DocumentMatch, "doc-letter")
    assert request is not None
    assert request.requester_type == "outside_physician"
    assert request.origin == "letter"
    assert request.requester_contact == "503-555-0148"
    assert match is not None
    assert match.attached_by == "letter"


def test_letter_near_a_request_goes_to_review() -> None:
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
    output = store_and_match(engine, letter)
    assert output["band"] == "review"
    with Session(engine) as session:
        assert session.exec(select(ImageRequest.id)).all() == ["REQ-ANA-2"]


def test_letter_missing_birth_date_creates_nothing() -> None:
    engine = store.open_database("sqlite://")
    letter = make_document(
        "doc-letter",
        "physician_request",
        patient_name="Zoë Li",
        exam_date="2026-02-10",
        physician_name="Priya Raman, MD",
    )
    assert store_and_match(engine, letter)["band"] == "none"
    with Session(engine) as session:
        assert session.exec(select(ImageRequest.id)).all() == []


def test_fax_cover_is_not_matched() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    output = store_and_match(engine, make_document("doc-cover", "fax_cover"))
    assert output == {"request_id": None, "score": None, "band": "none"}


def test_reviewer_attaches_a_candidate() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    store_and_match(
        engine,
        make_document("doc-1", "release_images", patient_name="Ana Lucía Ruiz Soto"),
    )
    attach_reviewed(engine, "doc-1", "REQ-ANA-2", TODAY, "reviewer:kim")
    assert attached_to(engine, "doc-1") == "REQ-ANA-2"
    with pytest.raises(LookupError):
        attach_reviewed(engine, "doc-1", "REQ-NONE", TODAY, "reviewer:kim")


def test_record_result_fills_match_output() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    context = RunContext(settings=Settings(), engine=engine, today=TODAY)
    result = FileResult(
        path=Path("inbox/fax.tif"),
        sha256="ab" * 32,
        size=10,
        documents=[ana_form("doc-out")],
    )
    records = record_result(result, context)
    assert records[0]["match"]["request_id"] == "REQ-ANA"
    assert records[0]["match"]["band"] == "auto"
    assert records[0]["match"]["score"] > THRESHOLDS.auto_score
    with Session(engine) as session:
        record = session.get(store.DocumentRecord, "doc-out")
    assert record is not None
    assert record.match_score == pytest.approx(records[0]["match"]["score"], abs=0.01)


@pytest.mark.postgres
def test_matching_on_postgres(postgres_url: str) -> None:
    engine = store.open_database(postgres_url)
    try:
        store_and_match(engine, ana_form("doc-pg"))
        assert add(engine, ANA, ANA_NAMESAKE) == ["doc-pg"]
        with Session(engine) as session:
            request = session.get(ImageRequest, "REQ-ANA")
            assert request is not None
            summary = request_summary(session, request)
        assert summary["documents"][0]["document_id"] == "doc-pg"
        assert summary["status"] == "waiting_for_forms"
        assert summary["reasons"] == ["release_images_form_missing"]
    finally:
        engine.dispose()


def run_file(
    engine: Engine, name: str, documents: list[Document]
) -> list[dict[str, object]]:
    context = RunContext(settings=Settings(), engine=engine, today=TODAY)
    result = FileResult(path=Path(name), sha256=name * 4, size=10, documents=documents)
    return record_result(result, context)


def test_cover_follows_its_file() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA, ANA_NAMESAKE)
    cover = make_document("doc-cover", "fax_cover")
    records = run_file(engine, "fax-1.tif", [cover, ana_form("doc-form")])
    assert records[0]["match"] == {
        "request_id": "REQ-ANA",
        "score": None,
        "band": "auto",
    }
    with Session(engine) as session:
        match = session.get(DocumentMatch, "doc-cover")
    assert match is not None
    assert match.attached_by == "bundle"


def test_earlier_document_gains_its_file_mates_evidence() -> None:
    engine = store.open_database("sqlite://")
    add(engine, ANA)
    name_only = make_document(
        "doc-name", "third_party_release", patient_name="Ana Lucia Ruiz Soto"
    )
    records = run_file(
        engine, "fax-2.tif", [name_only, ana_form("doc-full", "release_images")]
    )
    assert records[0]["match"]["request_id"] == "REQ-ANA"
    assert records[0]["match"]["band"] == "auto"
    with Session(engine) as session:
        view = document_review_view(session, "doc-name")
    assert view is not None
    levels = {p["field"]: p["level"] for p in view["candidates"][0]["fields"]}
    assert levels["same_file"] == "agree"


def test_cover_of_two_patients_goes_to_review() -> None:
    engine = store.open_database("sqlite://")
    william = {
        "request_id": "REQ-BILL",
        "requester_type": "patient",
        "patient_name": "William Whitaker",
        "date_of_birth": "1980-12-01",
        "exam_date": "2026-02-11",
    }
    add(engine, ANA, william)
    bill = make_document(
        "doc-bill",
        "release_images",
        patient_name="William Whitaker",
        date_of_birth="1980-12-01",
    )
    records = run_file(
        engine,
        "scan-3.pdf",
        [make_document("doc-cover", "fax_cover"), ana_form("doc-ana"), bill],
    )
    assert [r["match"]["request_id"] for r in records] == [None, "REQ-ANA", "REQ-BILL"]
    assert records[0]["match"]["band"] == "review"
    with Session(engine) as session:
        view = document_review_view(session, "doc-cover")
    assert view is not None
    listed = {candidate["request_id"] for candidate in view["candidates"]}
    assert listed == {"REQ-ANA", "REQ-BILL"}
