from __future__ import annotations

from datetime import date

import pytest

from matchers.compare import (
    compare_birth_dates,
    compare_exam_dates,
    compare_exam_descriptions,
    compare_record_numbers,
    compare_requesters,
    normalize_record_number,
)
from matchers.names import are_nicknames, compare_names, split_name


@pytest.mark.parametrize(
    ("document", "requested", "level"),
    [
        ("Ana Ruiz Soto", "Ana Ruiz Soto", "exact"),
        ("RUIZ SOTO, ANA", "Ana Ruiz Soto", "exact"),  # last name first
        ("Whitaker James", "James Whitaker", "exact"),  # swapped without a comma
        ("Jose Hernandez de la Cruz", "José Hernández de la Cruz", "exact"),  # accents
        ("José Hernández Cruz", "José Hernández de la Cruz", "exact"),  # particles
        ("Bjorn Lovland", "Bjørn Løvland", "exact"),
        ("Iñakı Wałęsa", "Iñaki Walesa", "exact"),  # dotless i, barred l
        ("Siobhan OBrien", "Siobhán O'Brien", "exact"),
        (
            "Anne Marie Kowalski Brandt",
            "Anne-Marie Kowalski-Brandt",
            "exact",
        ),  # hyphens
        ("Marykate Olsen", "Mary-Kate Olsen", "variant"),  # same letters, split apart
        ("Bill Whitaker", "William Whitaker", "variant"),  # English nickname
        ("Peggy Okafor", "Margaret Okafor", "variant"),
        ("Paco Ramírez Peña", "Francisco Ramírez Peña", "variant"),  # Spanish nickname
        ("Lupita Orozco", "Guadalupe Orozco", "variant"),
        ("James Whitaekr", "James Whitaker", "variant"),  # swapped letters
        ("Ana Gutierres Ochoa", "Ana Gutiérrez Ochoa", "variant"),  # one letter off
        ("Ana Ruiz", "Ana Ruiz Soto", "subset"),  # second surname dropped
        ("James R. Whitaker", "James Whitaker", "exact"),  # middle initial ignored
        ("María José Gutiérrez", "María José Gutiérrez Ochoa", "subset"),
        ("Eva Ruiz Soto", "Ana Ruiz Soto", "partial"),  # a twin: same surnames
        ("Whitaker", "James Whitaker", "partial"),
        ("Noah Patel", "Grace Nakamura", "disagree"),
        ("", "Grace Nakamura", "missing"),
        (None, "Grace Nakamura", "missing"),
    ],
)
def test_compare_names(document: str | None, requested: str, level: str) -> None:
    assert compare_names(document, requested).level == level


def test_split_name_drops_titles_and_keeps_initials_apart() -> None:
    words = split_name("Dr. María J. de la Peña-Cordero Jr.")
    assert words.words == ("maria", "pena", "cordero")
    assert words.initials == ("j",)


def test_nicknames_both_ways() -> None:
    assert are_nicknames("bob", "robert")
    assert are_nicknames("robert", "bob")
    assert are_nicknames("chuy", "jesus")
    assert not are_nicknames("ana", "eva")


@pytest.mark.parametrize(
    ("document", "requested", "level", "note"),
    [
        ("1971-04-09", date(1971, 4, 9), "exact", ""),
        ("1971-09-04", date(1971, 4, 9), "misread", "day and month swapped"),
        ("2071-04-09", date(1971, 4, 9), "misread", "century of a two-digit year"),
        ("1971-04-08", date(1971, 4, 9), "misread", "one digit misread"),
        ("1917-04-09", date(1971, 4, 9), "misread", "two neighbouring digits swapped"),
        ("1983-11-23", date(1971, 4, 9), "disagree", ""),
        ("not a date", date(1971, 4, 9), "missing", ""),
        (None, date(1971, 4, 9), "missing", ""),
    ],
)
def test_compare_birth_dates(
    document: str | None, requested: date, level: str, note: str
) -> None:
    result = compare_birth_dates(document, requested)
    assert result.level == level
    assert result.note == note


def test_compare_exam_dates_allows_a_week() -> None:
    assert compare_exam_dates("2026-02-10", date(2026, 2, 10)).level == "exact"
    assert compare_exam_dates("2026-02-14", date(2026, 2, 10)).level == "close"
    assert compare_exam_dates("2026-10-02", date(2026, 2, 10)).level == "close"
    assert compare_exam_dates("2026-03-30", date(2026, 2, 10)).level == "disagree"


def test_compare_record_numbers() -> None:
    assert normalize_record_number("0045-1273") == "451273"
    assert compare_record_numbers("00451273", "451273").level == "exact"
    assert compare_record_numbers("00451278", "00451273").level == "one_edit"
    assert compare_record_numbers("00415273", "00451273").level == "one_edit"
    assert compare_record_numbers("00999999", "00451273").level == "disagree"
    assert compare_record_numbers(None, "00451273").level == "missing"


@pytest.mark.parametrize(
    ("document", "requested", "level"),
    [
        ("CT A/P with contrast", "CT abdomen and pelvis with contrast", "same"),
        (
            "Tomografía de abdomen y pelvis con contraste",
            "CT abdomen and pelvis with contrast",
            "same",
        ),
        ("MRI L-spine w/o contrast", "MRI lumbar spine without contrast", "same"),
        ("CXR, 2 views", "X-ray chest 2 views", "same"),
        ("RUQ ultrasound", "Ultrasound right upper quadrant", "same"),
        ("Resonancia magnética de rodilla izquierda", "MRI left knee", "same"),
        ("MRI right shoulder", "MRI left knee", "related"),
        ("CT head without contrast", "MRI left knee", "disagree"),
        ("please send the images", "MRI left knee", "missing"),
    ],
)
def test_compare_exam_descriptions(document: str, requested: str, level: str) -> None:
    assert compare_exam_descriptions(document, requested).level == level


def test_compare_requesters() -> None:
    by_fax = compare_requesters([None], "(503) 555-0148", "Someone", "503.555.0148")
    by_name = compare_requesters(
        ["Rebecca Thornton, MD"], None, "Dr. Rebecca Thornton", None
    )
    other = compare_requesters(["Priya Raman, MD"], None, "Dr. Rebecca Thornton", None)
    nothing = compare_requesters([None], None, "Dr. Rebecca Thornton", None)
    assert by_fax.level == "agree"
    assert by_name.level == "agree"
    assert other.level == "disagree"
    assert nothing.level == "missing"


def test_names_read_through_ocr_confusions() -> None:
    assert compare_names("lan C. Rahimi", "Ian C. Rahimi").level == "variant"
    assert compare_names("S0to Ruiz", "Soto Ruiz").level == "exact"
    assert compare_names("Ana Ruiz", "Ama Ruiz").level == "partial"


def test_unreadable_record_number_is_missing() -> None:
    assert compare_record_numbers("5849-2O85", "58492085").level == "exact"
    assert compare_record_numbers("5849-24O85", "58492085").level == "one_edit"
    assert compare_record_numbers("UU7-7U98", "78477498").level == "missing"
    assert compare_record_numbers("51151", "19151151").level == "missing"
    assert compare_record_numbers("AB-1234", "AB-1235").level == "one_edit"
