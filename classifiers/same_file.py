"""Share what one document of a file shows with the file's other documents.

A law firm's letter makes the forms sent with it a legal request too
(``share_legal_request``).

A fax or scan often carries two forms of one patient, each with the name
written by hand, and RapidOCR may read one of them far better than the
other ("BETHLI" on one form, "BETH LI" on the next). After every document
of a file has its fields, a weakly read name takes the spelling of a
clearly better reading of the same name on another document of the file.

Two patients' forms may share a file. So a reading is replaced only when
both documents give the same date of birth and the same given name, and
only when the names do not differ in a way that makes them two people. A
twin "Mario" beside "Maria" stays as read, misread or not.
"""

from __future__ import annotations

import logging

from rapidfuzz import fuzz

from classifiers.name_lexicon import census_names
from classifiers.names import normalize_name
from intake.reasons import Reason
from intake.types import Document, FieldValue

log = logging.getLogger(__name__)

SAME_NAME_MIN = 80.0
"""Minimum rapidfuzz ratio (0-100) between two readings of one name."""
BETTER_READING_MARGIN = 0.05
"""How much more confident the other reading must be to replace this one."""
OTHER_PERSON_RATIO = 60.0
"""Ratio at and above which two different listed names look like variants
of one another ("Maria" and "Mario"), which may be two people."""
MIN_LISTED_LENGTH = 3
"""Shorter words ("Be", "Al") are listed as names but prove nothing."""


def reconcile_patient_names(documents: list[Document]) -> None:
    """Replace weak patient-name readings by a better reading in the same file.

    Every replacement is decided on the readings as extracted, so one
    document's new spelling never feeds another's. Replaced values keep
    their page and region and are marked with the reader "same_file".
    """
    readings = [
        (
            document,
            document.fields.get("patient_name"),
            document.fields.get("date_of_birth"),
        )
        for document in documents
    ]
    replacements: list[tuple[Document, FieldValue]] = []
    for document, name, birth in readings:
        if name is None or not name.value:
            continue
        better = [
            other_name
            for other, other_name, other_birth in readings
            if other is not document
            and other_name is not None
            and other_name.value
            and _same_birth_date(birth, other_birth)
            and _better_reading(name, other_name)
        ]
        distinct = {normalize_name(value.value or "") for value in better}
        if len(distinct) != 1:
            continue
        best = max(better, key=lambda value: value.confidence)
        replacements.append((document, _replaced(name, best)))
    for document, value in replacements:
        log.debug("document %s: patient name taken from the same file", document.doc_id)
        document.fields["patient_name"] = value


def _same_birth_date(birth: FieldValue | None, other: FieldValue | None) -> bool:
    if birth is None or other is None:
        return False
    return bool(birth.value) and birth.value == other.value


def _better_reading(name: FieldValue, other: FieldValue) -> bool:
    """Return True when ``other`` reads the same name clearly better than ``name``."""
    key, other_key = normalize_name(name.value or ""), normalize_name(other.value or "")
    if key == other_key:
        return False
    if other.confidence < name.confidence + BETTER_READING_MARGIN:
        return False
    if fuzz.ratio(key, other_key) < SAME_NAME_MIN:
        return False
    if not _same_given_name(key.split(), other_key.split()):
        return False
    return not _may_be_another_person(key.split(), other_key.split())


def _same_given_name(words: list[str], other_words: list[str]) -> bool:
    """Return True when both readings start with the same given name.

    Twins share a surname and a birth date, so a given name read two ways
    may be two people ("Marjo", a misread "Mario", beside "Maria"). So only
    the rest of the name may differ. A given name run together with the
    next word ("BETHLI" for "BETH LI") counts as the same.
    """
    if not words or not other_words:
        return False
    if words[0] == other_words[0]:
        return True
    return len(other_words) >= 2 and words[0] == other_words[0] + other_words[1]


def _may_be_another_person(words: list[str], other_words: list[str]) -> bool:
    """Return True when a word differs between two listed names alike in spelling.

    A misread word is rarely itself a listed name that resembles the other
    reading's listed name. Such a pair ("Ana" and "Ava") is more likely two
    people than one misreading.
    """
    listed = census_names().every
    for word in set(words) - set(other_words):
        folded = word.upper()
        if len(folded) < MIN_LISTED_LENGTH or folded not in listed:
            continue
        for other in set(other_words) - set(words):
            other_folded = other.upper()
            if other_folded in listed and fuzz.ratio(word, other) >= OTHER_PERSON_RATIO:
                return True
    return False


def _replaced(name: FieldValue, better: FieldValue) -> FieldValue:
    return FieldValue(
        better.value, better.confidence, name.page, name.bbox, reader="same_file"
    )


def share_legal_request(documents: list[Document]) -> None:
    """Flag every document of a file as a legal request when one of them is.

    A law firm's cover letter names the firm, while the patient's forms
    sent with it may name the firm in a way OCR misreads. The whole file
    then goes to individual handling, never to an automatic decision.
    """
    legal = str(Reason.LEGAL_REQUEST)
    if not any(legal in document.reasons for document in documents):
        return
    for document in documents:
        if legal not in document.reasons:
            log.debug(
                "document %s: legal request shared from its file", document.doc_id
            )
            document.reasons.append(legal)
