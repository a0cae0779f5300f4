from __future__ import annotations

from pathlib import Path

from intake.output import document_record, quarantined_record
from intake.reasons import DESCRIPTIONS, Reason
from intake.types import FIELD_NAMES, Check, Document, FieldValue

DOCS = Path(__file__).resolve().parents[1] / "docs" / "output-format.md"


def test_every_reason_has_a_description() -> None:
    assert set(DESCRIPTIONS) == set(Reason)


def test_every_reason_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [str(reason) for reason in Reason if f"`{reason}`" not in text]
    assert missing == []


def test_document_record_has_documented_shape() -> None:
    document = Document(source=Path("a.tif"), pages=[], doc_type="third_party_release")
    document.fields = {"patient_name": FieldValue("Ana Ruiz", 0.9)}
    document.checks = {
        "signed": Check("signed", True, 0.9),
        "signature_date": Check("signature_date", True, 0.9, value="2026-01-02"),
        "hipaa_purpose": Check("hipaa_purpose", True, 0.9),
    }
    record = document_record(document, "inbox/a.tif")
    assert list(record["fields"]) == list(FIELD_NAMES)
    assert record["fields"]["patient_name"] == "Ana Ruiz"
    assert record["fields"]["mrn"] is None
    assert record["checks"] == {
        "signed": True,
        "signature_date": "2026-01-02",
        "xray_scan_reports_checked": None,
    }
    assert record["match"] == {"request_id": None, "score": None, "band": None}


def test_quarantined_record_names_reason() -> None:
    record = quarantined_record(
        "in/x.pdf", Reason.FILE_ENCRYPTED, "in/x.pdf: needs a password"
    )
    assert record["status"] == "quarantined"
    assert record["reasons"] == ["file_encrypted"]
    assert record["pages"] == []
