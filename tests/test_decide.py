from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from intake.decide import decide
from intake.types import Check, Document, FieldValue, Page, Word

TODAY = date(2026, 11, 2)


def form(
    doc_type: str = "release_images", confidence: float = 0.98, **checks: Check
) -> Document:
    document = Document(source=Path("x.tif"), pages=[], doc_type=doc_type)
    document.confidence = confidence
    document.checks = {
        "signed": Check("signed", True, 0.95),
        "signature_date": Check("signature_date", True, 0.95, value="2026-10-30"),
        "representative_authority": Check("representative_authority", True, 0.9),
    }
    if doc_type == "third_party_release":
        for name in (
            "xray_scan_reports_checked",
            "release_to",
            "hipaa_information",
            "hipaa_releaser",
            "hipaa_purpose",
        ):
            document.checks[name] = Check(name, True, 0.95)
        document.checks["hipaa_expiry"] = Check(
            "hipaa_expiry", True, 0.95, value="2027-10-30"
        )
    document.checks.update(checks)
    return document


def test_complete_release_form_is_accepted() -> None:
    assert decide(form(), TODAY) == ("accepted", [])


def test_complete_third_party_form_is_accepted() -> None:
    assert decide(form("third_party_release"), TODAY) == ("accepted", [])


def test_empty_signature_is_rejected() -> None:
    status, reasons = decide(form(signed=Check("signed", False, 0.95)), TODAY)
    assert status == "rejected"
    assert reasons == ["signature_missing"]


def test_unsure_signature_goes_to_review() -> None:
    status, reasons = decide(form(signed=Check("signed", None, 0.5)), TODAY)
    assert status == "needs_review"
    assert reasons == ["signature_uncertain"]


def test_weak_signature_is_never_accepted() -> None:
    status, _ = decide(form(signed=Check("signed", True, 0.6)), TODAY)
    assert status == "needs_review"


def test_future_signature_date_is_rejected() -> None:
    late = Check("signature_date", True, 0.95, value="2026-11-03")
    status, reasons = decide(form(signature_date=late), TODAY)
    assert status == "rejected"
    assert reasons == ["signature_date_in_future"]


def test_far_future_signature_date_is_a_misreading() -> None:
    document = form(
        signature_date=Check("signature_date", True, 0.95, value="2076-10-30")
    )
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert reasons == ["signature_date_unreadable"]


def test_signature_dated_today_is_accepted() -> None:
    same_day = Check("signature_date", True, 0.95, value="2026-11-02")
    assert decide(form(signature_date=same_day), TODAY)[0] == "accepted"


def test_missing_check_goes_to_review() -> None:
    document = form("third_party_release")
    del document.checks["xray_scan_reports_checked"]
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert "xray_box_uncertain" in reasons


def test_unchecked_xray_box_is_rejected() -> None:
    box = Check("xray_scan_reports_checked", False, 0.95)
    status, reasons = decide(
        form("third_party_release", xray_scan_reports_checked=box), TODAY
    )
    assert status == "rejected"
    assert reasons == ["xray_box_unchecked"]


def test_expired_authorization_is_rejected() -> None:
    expiry = Check("hipaa_expiry", True, 0.95, value="2026-11-01")
    status, reasons = decide(form("third_party_release", hipaa_expiry=expiry), TODAY)
    assert status == "rejected"
    assert reasons == ["authorization_expired"]


def test_unsure_type_outranks_clean_checks() -> None:
    status, reasons = decide(form(confidence=0.7), TODAY)
    assert status == "needs_review"
    assert reasons == ["type_uncertain"]


def scanned_page(**changes: object) -> Page:
    page = Page(Path("x.tif"), 1, Image.new("L", (10, 10), 255), 200)
    return dataclasses.replace(page, **changes)


def test_uncertain_orientation_blocks_acceptance() -> None:
    document = form()
    page = scanned_page(orientation_uncertain=True)
    document.pages = [page]
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert reasons == ["orientation_uncertain"]

    document.pages = [dataclasses.replace(page, orientation_uncertain=False)]
    assert decide(document, TODAY)[0] == "accepted"


def test_unreadable_page_blocks_acceptance() -> None:
    document = form()
    page = scanned_page(
        words=[Word("APBVJJE", 40.0, (0, 0, 10, 5))], ocr_confidence=43.0
    )
    document.pages = [page]
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert reasons == ["page_unreadable"]

    document.pages = [dataclasses.replace(page, ocr_confidence=88.0)]
    assert decide(document, TODAY)[0] == "accepted"
    document.pages = [dataclasses.replace(page, has_text_layer=True)]
    assert decide(document, TODAY)[0] == "accepted"


def test_failure_and_doubt_give_review_with_both() -> None:
    document = form(
        signed=Check("signed", False, 0.95),
        signature_date=Check("signature_date", None, 0.3),
    )
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert reasons == ["signature_missing", "signature_date_unreadable"]


def letter(**fields: FieldValue) -> Document:
    document = Document(source=Path("x.pdf"), pages=[], doc_type="physician_request")
    document.confidence = 0.97
    document.fields = {
        "patient_name": FieldValue("Ana Ruiz", 0.9),
        "date_of_birth": FieldValue("1970-01-02", 0.9),
        "exam_date": FieldValue("2026-09-01", 0.9),
    }
    document.fields.update(fields)
    return document


def test_complete_letter_is_accepted() -> None:
    assert decide(letter(), TODAY) == ("accepted", [])


def test_letter_with_sure_absent_dob_is_rejected() -> None:
    status, reasons = decide(letter(date_of_birth=FieldValue(None, 0.9)), TODAY)
    assert status == "rejected"
    assert reasons == ["date_of_birth_missing"]


def test_letter_with_unsure_absent_dob_goes_to_review() -> None:
    status, reasons = decide(letter(date_of_birth=FieldValue(None, 0.4)), TODAY)
    assert status == "needs_review"
    assert reasons == ["date_of_birth_missing"]


def test_letter_exam_by_description_alone() -> None:
    document = letter(
        exam_date=FieldValue(None, 0.9),
        exam_description=FieldValue("CT head", 0.9),
    )
    assert decide(document, TODAY) == ("accepted", [])


@pytest.mark.parametrize("routing", ["report_only_request", "legal_request"])
def test_routing_reason_blocks_acceptance(routing: str) -> None:
    document = letter()
    document.reasons = [routing]
    status, reasons = decide(document, TODAY)
    assert status == "needs_review"
    assert reasons == [routing]


def test_other_document_goes_to_review() -> None:
    document = Document(
        source=Path("x.pdf"), pages=[], doc_type="other", confidence=0.99
    )
    assert decide(document, TODAY) == ("needs_review", ["not_a_release_document"])


def test_fax_cover_is_accepted() -> None:
    document = Document(
        source=Path("x.pdf"), pages=[], doc_type="fax_cover", confidence=0.99
    )
    assert decide(document, TODAY) == ("accepted", [])
