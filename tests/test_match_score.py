"""Hand-made decoys: every kind the sample corpus has, and a few more."""

from __future__ import annotations

import math
from datetime import date

import pytest

from intake.settings import Settings
from matchers.match import thresholds_from
from matchers.score import (
    FIELD_PROBABILITIES,
    BandDecision,
    DocumentFacts,
    RequestFacts,
    Thresholds,
    choose_band,
    level_weight,
    rank_requests,
    score_pair,
)

THRESHOLDS = thresholds_from(Settings())

ANA = RequestFacts(
    "R-ANA",
    "patient",
    "Ana Lucía Ruiz Soto",
    date(1971, 4, 9),
    "00451273",
    date(2026, 2, 10),
    "CT abdomen and pelvis",
)
ANA_NAMESAKE = RequestFacts(
    "R-ANA-2",
    "patient",
    "Ana Lucía Ruiz Soto",
    date(1968, 11, 23),
    None,
    date(2026, 1, 12),
    "MRI left knee",
)
TWIN_A = RequestFacts(
    "R-TWIN-A",
    "patient",
    "Daniel Okafor",
    date(1990, 6, 15),
    None,
    date(2026, 1, 20),
    "X-ray chest 2 views",
)
TWIN_B = RequestFacts(
    "R-TWIN-B",
    "patient",
    "Samuel Okafor",
    date(1990, 6, 15),
    None,
    date(2026, 1, 20),
    "X-ray chest 2 views",
)
BILL = RequestFacts(
    "R-BILL",
    "outside_physician",
    "William Whitaker",
    date(1980, 12, 1),
    None,
    date(2026, 2, 11),
    "MRI left knee",
    "Dr. Rebecca Thornton",
    "(503) 555-0148",
)
GRACE_CT = RequestFacts(
    "R-GRACE-1",
    "patient",
    "Grace Nakamura",
    date(1985, 3, 3),
    None,
    date(2026, 1, 5),
    "CT head without contrast",
)
GRACE_MRI = RequestFacts(
    "R-GRACE-2",
    "patient",
    "Grace Nakamura",
    date(1985, 3, 3),
    None,
    date(2026, 2, 20),
    "MRI brain with and without contrast",
)
ALL = [ANA, ANA_NAMESAKE, TWIN_A, TWIN_B, BILL, GRACE_CT, GRACE_MRI]


def document(doc_type: str = "third_party_release", **fields: str) -> DocumentFacts:
    return DocumentFacts("doc", doc_type, dict(fields))


def decide(facts: DocumentFacts, requests: list[RequestFacts] = ALL) -> BandDecision:
    return choose_band(rank_requests(facts, requests), THRESHOLDS)


def candidate_ids(decision: BandDecision) -> list[str]:
    return [candidate.request_id for candidate in decision.candidates]


def test_weights_follow_m_and_u() -> None:
    assert level_weight("date_of_birth", "exact") == pytest.approx(
        math.log2(0.90 / 4e-5)
    )
    assert level_weight("patient_name", "missing") == 0.0
    for field_name, levels in FIELD_PROBABILITIES.items():
        if field_name == "same_file":  # one-sided: only agreement is weighed
            continue
        assert sum(m for m, _ in levels.values()) == pytest.approx(1.0), field_name
        assert sum(u for _, u in levels.values()) == pytest.approx(1.0), field_name
        weights = [level_weight(field_name, level) for level in levels]
        assert weights == sorted(weights, reverse=True), field_name


def test_every_score_breaks_down_by_field() -> None:
    score = score_pair(
        document(patient_name="Ana Ruiz Soto", date_of_birth="1971-04-09"), ANA
    )
    parts = {part.field: part for part in score.fields}
    assert set(parts) == {
        "patient_name",
        "date_of_birth",
        "mrn",
        "exam_date",
        "exam_description",
    }
    assert parts["date_of_birth"].level == "exact"
    assert parts["mrn"].level == "missing"
    assert parts["mrn"].weight == 0.0
    assert score.total == pytest.approx(
        sum(part.weight for part in score.fields), abs=0.01
    )


def test_right_patient_attached_automatically() -> None:
    decision = decide(
        document(patient_name="RUIZ SOTO, ANA LUCIA", date_of_birth="1971-04-09")
    )
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-ANA"


def test_namesake_with_other_birth_date_not_attached() -> None:
    stranger = document(patient_name="Ana Lucía Ruiz Soto", date_of_birth="1979-07-30")
    decision = decide(stranger)
    assert decision.band != "auto"
    assert decision.attached_request_id is None


def test_namesakes_without_birth_date_go_to_review() -> None:
    decision = decide(document(patient_name="Ana Lucía Ruiz Soto"))
    assert decision.band == "review"
    assert candidate_ids(decision)[:2] == ["R-ANA", "R-ANA-2"]


def test_namesake_request_left_when_own_is_missing() -> None:
    # The document's own request has not arrived; only the namesake's is open.
    facts = document(patient_name="Ana Lucía Ruiz Soto", date_of_birth="1971-04-09")
    decision = decide(facts, [ANA_NAMESAKE, TWIN_A, BILL])
    assert decision.band != "auto"


def test_twin_attached_to_own_request() -> None:
    facts = document(
        "release_images",
        patient_name="Daniel Okafor",
        date_of_birth="1990-06-15",
        exam_date="2026-01-20",
    )
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-TWIN-A"


def test_twin_never_attached_to_sibling() -> None:
    facts = document(
        "release_images",
        patient_name="Daniel Okafor",
        date_of_birth="1990-06-15",
        exam_date="2026-01-20",
        exam_description="X-ray chest 2 views",
    )
    decision = decide(facts, [TWIN_B, ANA, BILL])
    assert decision.band != "auto"


def test_nickname_on_letter_attached() -> None:
    facts = document(
        "physician_request",
        patient_name="Bill Whitaker",
        date_of_birth="1980-12-01",
        exam_date="2026-02-11",
        exam_description="MRI L knee",
        physician_name="Rebecca Thornton, MD",
        physician_fax="503-555-0148",
    )
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-BILL"


def test_typo_in_name_attached() -> None:
    facts = document(patient_name="Willaim Whitaker", date_of_birth="1980-12-01")
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-BILL"


def test_two_open_requests_without_exam_go_to_review() -> None:
    decision = decide(
        document(patient_name="Grace Nakamura", date_of_birth="1985-03-03")
    )
    assert decision.band == "review"
    assert set(candidate_ids(decision)[:2]) == {"R-GRACE-1", "R-GRACE-2"}
    assert decision.margin == pytest.approx(0.0)


def test_record_number_does_not_choose_patients_request() -> None:
    # One request lists the record number and the other does not, so the
    # number alone gives the first a wide lead. Without an exam the form
    # could belong to either request.
    with_number = RequestFacts(
        "R-GRACE-3",
        "patient",
        "Grace Nakamura",
        date(1985, 3, 3),
        "00770011",
        date(2026, 3, 2),
        "MRI lumbar spine",
    )
    facts = document(
        patient_name="Grace Nakamura", date_of_birth="1985-03-03", mrn="00770011"
    )
    decision = decide(facts, [GRACE_CT, with_number])
    assert decision.band == "review"
    assert decision.best is not None
    assert decision.best.request_id == "R-GRACE-3"
    assert "same patient" in decision.note


def test_two_open_requests_told_apart_by_exam() -> None:
    facts = document(
        "release_images",
        patient_name="Grace Nakamura",
        date_of_birth="1985-03-03",
        exam_date="2026-02-20",
        exam_description="MRI brain",
    )
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-GRACE-2"


def test_misread_birth_date_needs_review() -> None:
    facts = document(
        "release_images",
        patient_name="Ana Lucía Ruiz Soto",
        date_of_birth="1971-09-04",
        exam_date="2026-02-10",
    )
    decision = decide(facts)
    assert decision.band == "review"
    assert candidate_ids(decision)[0] == "R-ANA"


def test_record_number_confirms_identity() -> None:
    facts = document(patient_name="Ana Ruiz Soto", mrn="451273")
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-ANA"


def test_name_alone_never_attaches() -> None:
    decision = decide(document(patient_name="William Whitaker"))
    assert decision.band != "auto"


def test_no_candidate_gives_band_none() -> None:
    decision = decide(document(patient_name="Noah Patel", date_of_birth="2001-01-01"))
    assert decision.band == "none"
    assert decision.candidates == []


def test_choose_band_checks_score_margin_and_identity() -> None:
    facts = document(patient_name="Ana Ruiz Soto", date_of_birth="1971-04-09")
    ranked = rank_requests(facts, ALL)
    top = ranked[0].total
    assert choose_band(ranked, Thresholds(top + 1, 5, 1)).band == "review"
    assert choose_band(ranked, Thresholds(top - 1, 5, 100)).band == "review"
    assert choose_band(ranked, Thresholds(top - 1, 5, 1)).band == "auto"
    assert choose_band([], THRESHOLDS).band == "none"


def test_contradicted_identity_goes_to_review() -> None:
    other_number = document(
        patient_name="Ana Lucía Ruiz Soto", date_of_birth="1971-04-09", mrn="77777777"
    )
    other_exam = document(
        "release_images",
        patient_name="Ana Lucía Ruiz Soto",
        date_of_birth="1971-04-09",
        exam_date="2025-06-01",
    )
    first = decide(other_number)
    second = decide(other_exam)
    assert first.band == "review"
    assert first.note == "mrn disagrees"
    assert second.band == "review"
    assert second.note == "exam_date disagrees"


def test_birth_date_and_record_number_confirm_without_name() -> None:
    facts = document(patient_name="0LNE E", date_of_birth="1971-04-09", mrn="0045-1273")
    decision = decide(facts)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-ANA"


def test_same_file_confirms_name_alone() -> None:
    alone = document(patient_name="Bill Whitaker")
    with_file = DocumentFacts(
        "doc",
        "third_party_release",
        {"patient_name": "Bill Whitaker"},
        file_requests=frozenset({"R-BILL"}),
    )
    assert decide(alone).band != "auto"
    decision = decide(with_file)
    assert decision.band == "auto"
    assert decision.attached_request_id == "R-BILL"
    assert decision.best is not None
    assert decision.best.level("same_file") == "agree"


def test_same_file_does_not_confirm_other_name() -> None:
    facts = DocumentFacts(
        "doc",
        "third_party_release",
        {"patient_name": "Grace Nakamura"},
        file_requests=frozenset({"R-BILL"}),
    )
    assert decide(facts).attached_request_id != "R-BILL"


def test_right_name_other_birth_date_listed() -> None:
    # Every field but the name disagrees: the score is under the review
    # score, but the name alone makes the request worth a person's look.
    facts = document(
        "release_images",
        patient_name="Ana Lucía Ruiz Soto",
        date_of_birth="1958-01-30",
        mrn="99999999",
        exam_date="2025-05-02",
        exam_description="MRI left knee",
    )
    decision = decide(facts, [ANA, TWIN_A, BILL])
    assert rank_requests(facts, [ANA])[0].total < THRESHOLDS.review_score
    assert decision.band == "review"
    assert candidate_ids(decision) == ["R-ANA"]


def test_right_birth_date_with_unread_name_listed() -> None:
    facts = document(
        "physician_request",
        patient_name="Xqz Vwkk",
        date_of_birth="1980-12-01",
        exam_date="2025-05-02",
        exam_description="CT head",
        physician_name="Zed Quorra, MD",
    )
    ranked = rank_requests(facts, [BILL])
    assert ranked[0].total < THRESHOLDS.review_score
    decision = decide(facts, [BILL, ANA])
    assert decision.band == "review"
    assert candidate_ids(decision) == ["R-BILL"]


def test_partial_name_and_misread_birth_date_listed() -> None:
    # Neither alone is enough; together they are.
    facts = document(
        "release_images",
        patient_name="Wxlqz Whitaker",
        date_of_birth="1980-01-12",
        exam_date="2025-05-02",
        exam_description="CT head",
    )
    score = rank_requests(facts, [BILL])[0]
    assert score.level("patient_name") == "partial"
    assert score.level("date_of_birth") == "misread"
    assert score.total < THRESHOLDS.review_score
    assert candidate_ids(decide(facts, [BILL, ANA])) == ["R-BILL"]


def test_one_weak_identifier_alone_not_listed() -> None:
    # A shared surname and nothing else: strangers share surnames.
    facts = document(
        "release_images",
        patient_name="Wxlqz Whitaker",
        date_of_birth="1955-07-21",
        exam_date="2025-05-02",
        exam_description="CT head",
    )
    score = rank_requests(facts, [BILL])[0]
    assert score.level("patient_name") == "partial"
    assert not score.shares_identifier
    assert decide(facts, [BILL]).band == "none"


def test_listed_identifier_never_attached_alone() -> None:
    # A strong identifier lists a request but never attaches it by itself.
    facts = document(patient_name="Grace Nakamura", date_of_birth="1999-09-09")
    decision = decide(facts)
    assert decision.band == "review"
    assert decision.attached_request_id is None
    assert set(candidate_ids(decision)) == {"R-GRACE-1", "R-GRACE-2"}
