from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from intake import store
from matchers.calendar import (
    add_business_days,
    images_ready_on,
    is_business_day,
    is_mammogram,
    retained_until,
)
from matchers.models import ImageRequest, RequestStatusChange
from matchers.status import (
    AttachedDocument,
    CheckState,
    RequestState,
    decide_status,
    judge_document,
)
from matchers.track import patient_last_exam, refresh_request_status

SURE = 0.95


def release_form(**overrides: object) -> AttachedDocument:
    checks = {
        "signed": CheckState(True, SURE),
        "signature_date": CheckState(True, SURE, "2026-03-01"),
    }
    checks.update(overrides)  # type: ignore[arg-type]
    return AttachedDocument("ri1", "release_images", "accepted", (), checks)


def third_party_form(
    status: str = "accepted", reasons: tuple[str, ...] = (), **overrides: object
) -> AttachedDocument:
    checks = {
        "signed": CheckState(True, SURE),
        "signature_date": CheckState(True, SURE, "2026-03-01"),
        "xray_scan_reports_checked": CheckState(True, SURE),
        "release_to": CheckState(True, SURE),
        "hipaa_expiry": CheckState(True, SURE, "2027-03-01"),
    }
    checks.update(overrides)  # type: ignore[arg-type]
    return AttachedDocument("tp1", "third_party_release", status, reasons, checks)


def letter(status: str = "accepted", reasons: tuple[str, ...] = ()) -> AttachedDocument:
    return AttachedDocument("lt1", "physician_request", status, reasons, {})


def state(
    requester_type: str = "patient",
    exam: date = date(2026, 2, 2),
    description: str = "CT chest",
    **extra: object,
) -> RequestState:
    return RequestState(requester_type, exam, description, **extra)  # type: ignore[arg-type]


TODAY = date(2026, 3, 10)


# Business days and the day images are ready.


@pytest.mark.parametrize(
    ("exam", "ready"),
    [
        (date(2025, 11, 26), date(2025, 12, 1)),  # Wednesday before Thanksgiving
        (date(2026, 5, 22), date(2026, 5, 27)),  # Friday before Memorial Day
        (date(2025, 12, 31), date(2026, 1, 5)),  # New Year's Eve, a Wednesday
        (date(2027, 12, 30), date(2028, 1, 4)),  # New Year's Day observed on the 31st
        (date(2026, 7, 2), date(2026, 7, 7)),  # Independence Day observed on Friday 3rd
        (date(2026, 3, 14), date(2026, 3, 17)),  # a Saturday exam
        (date(2026, 3, 9), date(2026, 3, 11)),  # an ordinary Monday
    ],
)
def test_images_ready_on_skips_weekends_and_holidays(exam: date, ready: date) -> None:
    assert images_ready_on(exam) == ready


def test_business_day_rules() -> None:
    assert not is_business_day(date(2025, 11, 27))  # Thanksgiving
    assert is_business_day(date(2025, 11, 28))  # the Friday after is a workday
    assert not is_business_day(date(2026, 6, 19))  # Juneteenth
    assert not is_business_day(date(2026, 3, 14))  # Saturday
    assert add_business_days(date(2026, 3, 9), 0) == date(2026, 3, 9)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 3, 9), -1)


def test_waiting_for_images_until_ready_day() -> None:
    exam = date(2025, 11, 26)
    forms = [
        release_form(signature_date=CheckState(True, SURE, "2025-11-20")),
        third_party_form(signature_date=CheckState(True, SURE, "2025-11-20")),
    ]
    day_before = decide_status(state(exam=exam), forms, date(2025, 11, 28))
    ready_day = decide_status(state(exam=exam), forms, date(2025, 12, 1))
    assert day_before.status == "waiting_for_images"
    assert day_before.reasons == ["images_not_ready"]
    assert "2025-12-01" in day_before.detail
    assert ready_day.status == "complete"
    assert ready_day.reasons == []


def test_missing_forms_outrank_images_not_ready() -> None:
    decision = decide_status(state(exam=date(2026, 3, 9)), [], date(2026, 3, 10))
    assert decision.status == "waiting_for_forms"
    assert "images_not_ready" in decision.reasons
    assert "release_images_form_missing" in decision.reasons


# Retention: seven years after the patient's last exam, ten for mammograms.


def test_retention_last_day_inside_and_first_outside() -> None:
    exam = date(2019, 3, 14)
    forms = [release_form(), third_party_form()]
    inside = decide_status(state(exam=exam), forms, date(2026, 3, 14))
    outside = decide_status(state(exam=exam), forms, date(2026, 3, 15))
    assert inside.status == "complete"
    assert outside.status == "out_of_retention"
    assert outside.reasons == ["out_of_retention"]


def test_mammogram_at_eight_years_is_kept() -> None:
    exam = date(2018, 3, 1)
    forms = [release_form(), third_party_form()]
    mammogram = state(exam=exam, description="Mammogram bilateral screening")
    other = state(exam=exam, description="X-ray chest 2 views")
    assert decide_status(mammogram, forms, TODAY).status == "complete"
    assert decide_status(other, forms, TODAY).status == "out_of_retention"


def test_mammogram_out_after_ten_years() -> None:
    mammogram = state(exam=date(2016, 3, 9), description="Mamografía bilateral")
    assert decide_status(mammogram, [], date(2026, 3, 9)).status != "out_of_retention"
    assert decide_status(mammogram, [], date(2026, 3, 10)).status == "out_of_retention"


def test_retention_counts_from_patients_last_exam() -> None:
    old_exam = state(exam=date(2017, 5, 2), last_exam=date(2024, 1, 15))
    forms = [release_form(), third_party_form()]
    assert decide_status(old_exam, forms, TODAY).status == "complete"


def test_retention_of_leap_day_exam() -> None:
    assert retained_until(date(2020, 2, 29), mammogram=False) == date(2027, 2, 28)
    assert retained_until(date(2020, 2, 29), mammogram=True) == date(2030, 2, 28)


def test_mammogram_words() -> None:
    assert is_mammogram("Mammogram bilateral screening")
    assert is_mammogram("Mamografía bilateral de detección")
    assert is_mammogram("Digital breast tomosynthesis")
    assert not is_mammogram("MRI left knee")
    assert not is_mammogram(None)


# Forms, letters and routing.


def test_patient_needs_both_forms() -> None:
    only_release = decide_status(state(), [release_form()], TODAY)
    assert only_release.status == "waiting_for_forms"
    assert only_release.reasons == ["third_party_form_missing"]
    both = decide_status(state(), [release_form(), third_party_form()], TODAY)
    assert both.status == "complete"


def test_outside_physician_needs_letter_and_forms() -> None:
    forms = [release_form(), third_party_form()]
    without = decide_status(state("outside_physician"), forms, TODAY)
    with_letter = decide_status(state("outside_physician"), [*forms, letter()], TODAY)
    assert without.status == "waiting_for_forms"
    assert without.reasons == ["physician_letter_missing"]
    assert with_letter.status == "complete"


def test_inside_physician_needs_no_forms() -> None:
    assert decide_status(state("inside_physician"), [], TODAY).status == "complete"
    early = decide_status(state("inside_physician", exam=TODAY), [], TODAY)
    assert early.status == "waiting_for_images"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"xray_scan_reports_checked": CheckState(False, SURE)}, "xray_box_unchecked"),
        ({"xray_scan_reports_checked": CheckState(True, 0.5)}, "xray_box_unchecked"),
        ({"release_to": CheckState(False, SURE)}, "release_to_missing"),
        ({"signed": CheckState(False, SURE)}, "signature_missing"),
        ({"signature_date": CheckState(False, SURE)}, "signature_date_missing"),
        (
            {"signature_date": CheckState(True, SURE, "2026-04-01")},
            "signature_date_in_future",
        ),
        (
            {"hipaa_expiry": CheckState(True, SURE, "2026-03-09")},
            "authorization_expired",
        ),
    ],
)
def test_invalid_third_party_form_keeps_waiting(
    overrides: dict[str, CheckState], reason: str
) -> None:
    decision = decide_status(
        state(), [release_form(), third_party_form(**overrides)], TODAY
    )
    assert decision.status == "waiting_for_forms"
    assert reason in decision.reasons


def test_authorization_expires_with_time() -> None:
    forms = [
        release_form(),
        third_party_form(hipaa_expiry=CheckState(True, SURE, "2026-06-30")),
    ]
    assert decide_status(state(), forms, date(2026, 6, 30)).status == "complete"
    expired = decide_status(state(), forms, date(2026, 7, 1))
    assert expired.status == "waiting_for_forms"
    assert expired.reasons == ["authorization_expired"]


def test_one_valid_copy_of_a_form_is_enough() -> None:
    unsigned = third_party_form(signed=CheckState(False, SURE))
    forms = [release_form(), unsigned, third_party_form()]
    assert decide_status(state(), forms, TODAY).status == "complete"


def test_document_in_review_does_not_count() -> None:
    unsure = third_party_form("needs_review", ("hipaa_purpose_missing",))
    decision = decide_status(state(), [release_form(), unsure], TODAY)
    assert decision.status == "waiting_for_forms"
    assert decision.reasons == ["hipaa_purpose_missing"]
    assert judge_document(third_party_form("needs_review"), TODAY) == [
        "document_not_accepted"
    ]


def test_legal_requests_go_to_individual_handling() -> None:
    assert decide_status(state("legal"), [], TODAY).status == "individual_handling"
    flagged = letter("needs_review", ("not_a_release_document", "legal_request"))
    decision = decide_status(state("outside_physician"), [flagged], TODAY)
    assert decision.status == "individual_handling"
    assert decision.reasons == ["legal_request"]


def test_report_only_goes_to_medical_records() -> None:
    assert (
        decide_status(state(scope="report_only"), [], TODAY).status == "medical_records"
    )
    flagged = letter("needs_review", ("report_only_request",))
    assert decide_status(state("outside_physician"), [flagged], TODAY).status == (
        "medical_records"
    )


# Stored status and its history.


def add_request(
    session: Session, request_id: str, exam: date, **values: object
) -> ImageRequest:
    row = ImageRequest(
        id=request_id, requester_type="patient", patient_name="Ana Ruiz Soto",
        date_of_birth=date(1971, 4, 9), exam_date=exam, requester_name="Ana Ruiz Soto",
        **values,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def test_status_changes_are_stored_with_time_and_reason() -> None:
    engine = store.open_database("sqlite://")
    with Session(engine) as session:
        request = add_request(session, "R-1", date(2026, 3, 5), mrn="00451273")
        assert refresh_request_status(session, request, date(2026, 3, 5), "imported")
        assert not refresh_request_status(session, request, date(2026, 3, 6), "again")
        assert refresh_request_status(session, request, date(2033, 3, 6), "later")
        session.commit()
        history = session.exec(
            select(RequestStatusChange).order_by(RequestStatusChange.id)  # type: ignore[arg-type]
        ).all()
    assert [change.status for change in history] == [
        "waiting_for_forms",
        "out_of_retention",
    ]
    assert json.loads(history[0].reasons) == [
        "release_images_form_missing",
        "third_party_form_missing",
        "images_not_ready",
    ]
    assert history[0].cause == "imported"
    assert history[1].cause == "later"
    assert history[0].changed_at is not None


def test_last_exam_spans_the_patients_requests() -> None:
    engine = store.open_database("sqlite://")
    with Session(engine) as session:
        old = add_request(session, "R-old", date(2017, 5, 2), mrn="451273")
        add_request(session, "R-new", date(2024, 1, 15), mrn="00451273")
        add_request(session, "R-other", date(2025, 1, 15), mrn="999")
        assert patient_last_exam(session, old) == date(2024, 1, 15)
