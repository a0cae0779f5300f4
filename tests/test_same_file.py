"""Sharing what one document of a file shows with the file's other documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.same_file import reconcile_patient_names, share_legal_request
from intake.types import Document, FieldValue


def _form(name: str, confidence: float, birth: str | None) -> Document:
    document = Document(Path("scan.pdf"), [], doc_type="release_images")
    document.fields["patient_name"] = FieldValue(name, confidence, 1, (0, 0, 9, 9))
    if birth is not None:
        document.fields["date_of_birth"] = FieldValue(birth, 0.9)
    return document


def _names(documents: list[Document]) -> list[str | None]:
    return [document.fields["patient_name"].value for document in documents]


def test_weak_reading_takes_better_spelling() -> None:
    documents = [
        _form("BETHLI", 0.6, "2000-11-04"),
        _form("BETH LI", 0.99, "2000-11-04"),
    ]
    reconcile_patient_names(documents)

    assert _names(documents) == ["BETH LI", "BETH LI"]
    replaced = documents[0].fields["patient_name"]
    assert replaced.reader == "same_file"
    assert replaced.bbox == (0, 0, 9, 9)


@pytest.mark.parametrize(
    "readings",
    [
        # Different birth dates, or one missing: maybe two people.
        [("Thomas Szymaliska", 0.7, "1969-07-06"), ("Thomas Szymańska", 0.99, "1969-07-16")],
        [("Thomas Szymaliska", 0.7, None), ("Thomas Szymańska", 0.99, "1969-07-06")],
        # Twins share the surname and birth date. "Marjo" is the twin Mario
        # misread, and "Ethan" shares nothing with "Emma".
        [("Mario Garcia", 0.7, "2015-02-01"), ("Maria Garcia", 0.99, "2015-02-01")],
        [("Marjo Garcia", 0.7, "2015-02-01"), ("Maria Garcia", 0.95, "2015-02-01")],
        [("Ethan Williams", 0.7, "2015-02-01"), ("Emma Williams", 0.95, "2015-02-01")],
        # Neither reading is clearly better.
        [("Oliver Thistlewoad", 0.96, "1949-10-06"), ("Oliver Thistlewood", 0.97, "1949-10-06")],
    ],
)  # fmt: skip
def test_doubtful_pairs_keep_readings(
    readings: list[tuple[str, float, str | None]],
) -> None:
    documents = [_form(*reading) for reading in readings]
    reconcile_patient_names(documents)

    assert _names(documents) == [name for name, _, _ in readings]


def test_two_rival_spellings_keep_reading() -> None:
    documents = [
        _form("Jon Zandrowiq", 0.6, "1980-01-01"),
        _form("Jon Zandrowik", 0.95, "1980-01-01"),
        _form("Jon Zandrowic", 0.9, "1980-01-01"),
    ]
    reconcile_patient_names(documents)

    assert _names(documents)[0] == "Jon Zandrowiq"


def test_legal_letter_flags_its_forms() -> None:
    letter = Document(Path("fax.tif"), [], doc_type="other")
    letter.reasons = ["legal_request", "not_a_release_document"]
    form = _form("Ana Ruiz", 0.9, "1980-01-01")
    share_legal_request([letter, form])

    assert form.reasons == ["legal_request"]
    assert letter.reasons.count("legal_request") == 1


def test_file_without_legal_letter_unflagged() -> None:
    letter = Document(Path("fax.tif"), [], doc_type="physician_request")
    form = _form("Ana Ruiz", 0.9, "1980-01-01")
    share_legal_request([letter, form])

    assert form.reasons == []
