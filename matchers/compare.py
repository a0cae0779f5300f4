"""Field comparators: how a document's value agrees with a request's.

Each comparator returns a ``Comparison``: an agreement level (the levels of
each field are listed in ``LEVELS``, strongest first) and a short note for
the reviewer. Notes name the kind of agreement, never the values, so that
they can be logged and shown without exposing patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from matchers.names import NAME_LEVELS, compare_names, fold, split_name

LEVELS: dict[str, tuple[str, ...]] = {
    "patient_name": NAME_LEVELS,
    "date_of_birth": ("exact", "misread", "disagree", "missing"),
    "mrn": ("exact", "one_edit", "disagree", "missing"),
    "exam_date": ("exact", "close", "disagree", "missing"),
    "exam_description": ("same", "related", "disagree", "missing"),
    "requester": ("agree", "disagree", "missing"),
    "same_file": ("agree", "missing"),
}
"""Agreement levels of every compared field, from the strongest to none."""

OCR_RECORD_DIGITS = str.maketrans("OQDILZSGB", "000112568")
"""Upper-case letters OCR reads in place of digits, and the digits they stand for."""
EXAM_DATE_CLOSE_DAYS = 7
"""Days apart at which two exam dates still count as ``close``."""

# Modalities and body parts, in English, Spanish and the usual abbreviations,
# each mapped to one concept name. Matched against folded whole words.
MODALITY_WORDS = {
    "ct": "ct", "cat": "ct", "tomography": "ct", "tomografia": "ct",
    "angiotomografia": "ct", "cta": "ct", "mri": "mr", "mr": "mr",
    "resonancia": "mr", "magnetic": "mr", "mra": "mr", "xray": "xr", "xr": "xr",
    "radiograph": "xr", "radiography": "xr", "radiografia": "xr",
    "film": "xr", "films": "xr", "ultrasound": "us", "us": "us",
    "sonogram": "us", "sonography": "us", "ecografia": "us", "ultrasonido": "us",
    "mammogram": "mg", "mammography": "mg", "mamografia": "mg", "mg": "mg",
    "nuclear": "nm", "gammagrafia": "nm", "scintigraphy": "nm", "nm": "nm",
    "pet": "pt", "dexa": "dx", "dxa": "dx", "densitometry": "dx",
    "densitometria": "dx",
}  # fmt: skip
BODY_WORDS = {
    "abdomen": "abdomen", "abdominal": "abdomen", "pelvis": "pelvis",
    "pelvic": "pelvis", "pelvica": "pelvis", "head": "head", "craneo": "head",
    "cranial": "head", "brain": "brain", "cerebro": "brain", "chest": "chest",
    "torax": "chest", "thorax": "chest", "thoracic": "chest",
    "lumbar": "lumbar", "cervical": "cervical", "spine": "spine", "columna": "spine",
    "knee": "knee", "rodilla": "knee", "shoulder": "shoulder",
    "hombro": "shoulder", "wrist": "wrist", "muneca": "wrist",
    "quadrant": "ruq", "cuadrante": "ruq", "breast": "breast", "mama": "breast",
    "bone": "bone", "osea": "bone", "left": "left", "izquierda": "left",
    "izquierdo": "left", "right": "right", "derecha": "right",
    "derecho": "right", "bilateral": "bilateral", "skull": "head",
    "thigh": "thigh", "muslo": "thigh", "neck": "neck", "cuello": "neck",
    "hip": "hip", "cadera": "hip", "ankle": "ankle", "tobillo": "ankle",
}  # fmt: skip
ABBREVIATED_PHRASES = (
    (r"\ba\s?/\s?p\b", "abdomen pelvis"),
    (r"\bl-?spine\b", "lumbar spine"),
    (r"\bc-?spine\b", "cervical spine"),
    (r"\bx-?\s?rays?\b", "xray"),
    (r"\bcxr\b", "xray chest"),
    (r"\bruq\b", "right upper quadrant"),
    (r"\bcat scan\b", "ct"),
    (r"\bbone scan\b", "nuclear bone"),
    (r"\b(l|lt)\b", "left"),
    (r"\b(r|rt)\b", "right"),
)
"""Abbreviations (as regular expressions on folded text) and their long forms."""


@dataclass(frozen=True)
class Comparison:
    """One field's agreement: a level and a note without patient values."""

    level: str
    note: str = ""


def compare_name_field(document: str | None, request: str | None) -> Comparison:
    """Compare patient names (see ``matchers.names.compare_names``)."""
    result = compare_names(document, request)
    return Comparison(result.level, result.note)


def parse_iso(text: str | date | None) -> date | None:
    """Return the date in ``text`` (ISO YYYY-MM-DD), or None when it is not one."""
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def describe_misreading(read: date, truth: date) -> str | None:
    """Name the common misreading that turns ``truth`` into ``read``, if any.

    Recognised: day and month swapped, the century of a two-digit year
    guessed wrong, one digit misread, and two neighbouring digits swapped.
    """
    if (read.year, read.month, read.day) == (truth.year, truth.day, truth.month):
        return "day and month swapped"
    same_day = (read.month, read.day) == (truth.month, truth.day)
    if same_day and abs(read.year - truth.year) == 100:
        return "century of a two-digit year"
    read_digits = read.strftime("%Y%m%d")
    truth_digits = truth.strftime("%Y%m%d")
    differing = [i for i in range(8) if read_digits[i] != truth_digits[i]]
    if len(differing) == 1:
        return "one digit misread"
    if DamerauLevenshtein.distance(read_digits, truth_digits) == 1:
        return "two neighbouring digits swapped"
    return None


def _compare_dates(
    document: str | None, request: date | None, misread_level: str
) -> Comparison | tuple[date, date]:
    """Return the comparison when the dates are missing, equal or a misreading.

    Otherwise return both dates, for the caller's own rule.
    """
    read = parse_iso(document)
    if read is None or request is None:
        return Comparison("missing")
    if read == request:
        return Comparison("exact")
    misreading = describe_misreading(read, request)
    if misreading:
        return Comparison(misread_level, misreading)
    return read, request


def compare_birth_dates(document: str | None, request: date | None) -> Comparison:
    """Compare dates of birth: exact, a common misreading, or disagreeing."""
    compared = _compare_dates(document, request, "misread")
    if isinstance(compared, Comparison):
        return compared
    return Comparison("disagree")


def compare_exam_dates(document: str | None, request: date | None) -> Comparison:
    """Compare exam dates: exact, close (misread or within a week), disagreeing."""
    compared = _compare_dates(document, request, "close")
    if isinstance(compared, Comparison):
        return compared
    read, request = compared
    days = abs((read - request).days)
    if days <= EXAM_DATE_CLOSE_DAYS:
        return Comparison("close", f"{days} day(s) apart")
    return Comparison("disagree")


def normalize_record_number(text: str | None) -> str:
    """Return a record number in upper case without separators or leading zeros."""
    return _strip_zeros(_record_characters(text))


def _record_characters(text: str | None) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def _strip_zeros(number: str) -> str:
    return number.lstrip("0") or ("0" if number else "")


def compare_record_numbers(document: str | None, request: str | None) -> Comparison:
    """Compare medical record numbers: exact, one edit apart, or disagreeing.

    Where the request's number is all digits, letters OCR reads for digits
    (O for 0, I or L for 1, S for 5...) are turned back into digits. A
    reading that still has letters, or is two or more characters longer or
    shorter, is no evidence either way and counts as missing.
    """
    read_characters = _record_characters(document)
    known_characters = _record_characters(request)
    if not read_characters or not known_characters:
        return Comparison("missing")
    if known_characters.isdigit():
        read_characters = read_characters.translate(OCR_RECORD_DIGITS)
        if not read_characters.isdigit():
            return Comparison("missing", "record number unreadable")
    read = _strip_zeros(read_characters)
    known = _strip_zeros(known_characters)
    if read == known:
        return Comparison("exact")
    if abs(len(read_characters) - len(known_characters)) > 1:
        return Comparison("missing", "record number read incompletely")
    if DamerauLevenshtein.distance(read, known) == 1:
        return Comparison("one_edit", "one character misread, missing or swapped")
    return Comparison("disagree")


@lru_cache(maxsize=4096)
def exam_concepts(description: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """Return the modalities and body parts an exam description names."""
    if not description:
        return frozenset(), frozenset()
    text = fold(description)
    for pattern, long_form in ABBREVIATED_PHRASES:
        text = re.sub(pattern, f" {long_form} ", text)
    words = re.findall(r"[a-z]+", text)
    modalities = frozenset(MODALITY_WORDS[w] for w in words if w in MODALITY_WORDS)
    parts = frozenset(BODY_WORDS[w] for w in words if w in BODY_WORDS)
    return modalities, parts


def compare_exam_descriptions(document: str | None, request: str | None) -> Comparison:
    """Compare exam descriptions by the modality and body parts they name.

    ``same``: the same modality and the same body parts; ``related``: the
    same modality or a shared body part; ``disagree``: neither. A
    description that names no modality and no body part counts as missing.
    """
    first_modality, first_parts = exam_concepts(document)
    second_modality, second_parts = exam_concepts(request)
    if not (first_modality or first_parts) or not (second_modality or second_parts):
        return Comparison("missing")

    modality_agrees = bool(first_modality & second_modality)
    modality_known = bool(first_modality and second_modality)
    parts_agree = first_parts == second_parts
    if parts_agree and (modality_agrees or not modality_known):
        return Comparison("same")
    if modality_agrees or first_parts & second_parts:
        return Comparison("related")
    return Comparison("disagree")


CREDENTIAL_WORDS = frozenset(
    {"md", "do", "phd", "facg", "faap", "facs", "facp", "esq", "rn", "np", "pa",
     "mph", "dds", "dpm", "attorney", "law", "paralegal"}
)  # fmt: skip


def person_words(name: str | None) -> frozenset[str]:
    """Return the folded words of a person's name without credentials (MD, Esq)."""
    return frozenset(split_name(name).words) - CREDENTIAL_WORDS


def phone_digits(text: str | None) -> str:
    """Return the last ten digits of a telephone or fax number, or ""."""
    digits = re.sub(r"\D", "", text or "")
    return digits[-10:] if len(digits) >= 10 else ""


def compare_requesters(
    names: list[str | None],
    fax: str | None,
    request_name: str | None,
    request_contact: str | None,
) -> Comparison:
    """Compare who sent a document with who placed the request.

    Args:
        names: Names on the document that may be the requester's (the
            physician who signed the letter, the release-to name).
        fax: The sender's fax number on the document, if any.
        request_name: The requester's name on the request.
        request_contact: The requester's telephone, fax or address.
    """
    sender_fax = phone_digits(fax)
    known_fax = phone_digits(request_contact)
    if sender_fax and known_fax and sender_fax == known_fax:
        return Comparison("agree", "same fax number")

    requester = person_words(request_name)
    senders = [person_words(name) for name in names if name]
    senders = [words for words in senders if words]
    if requester and any(len(words & requester) >= 2 for words in senders):
        return Comparison("agree", "same name")
    if requester and any(words == requester for words in senders):
        return Comparison("agree", "same name")
    if (senders and requester) or (sender_fax and known_fax):
        return Comparison("disagree")
    return Comparison("missing")
