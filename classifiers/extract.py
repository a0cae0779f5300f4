"""Extract a document's fields and detect requests that need routing.

Forms (both authorization forms): each field is read from the words OCR
found in its writing area (``form_regions``). Letters and other documents:
fields are found by their labels and wording in the text
(``letter_fields``). Every value carries a confidence, the page and the
box it came from. A value that could not be read is left out rather than
guessed, so the decision stage sends the document to review.

Known limit: handwriting is read by OCR engines trained mostly on print.
On generated sample forms about one handwritten name in three comes out
with a wrong letter. A typed copy of the same name elsewhere in the file
corrects many of them (``match_typed_name``).

Routing (``detect_routing``): a request for the report alone goes to
Medical Records, and one from a law firm or for a legal purpose needs
individual handling. On forms only the filled-in purpose and recipient
are searched, because the printed text of a form mentions legal
representatives and attorneys on every copy.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import replace
from functools import lru_cache

import cv2
import numpy as np
from rapidfuzz import fuzz

from classifiers import letter_fields, page_cache
from classifiers.dates import fold_text, parse_date
from classifiers.form_regions import FieldRegion, FormRegions, locate_regions, page_ink
from classifiers.layout_fit import LayoutFit
from classifiers.lines import union_boxes
from classifiers.marks import InkMeasure, measure_ink
from classifiers.name_lexicon import repair_name_line
from classifiers.names import (
    PARTICLES,
    clean_name,
    name_plausibility,
    normalize_name,
    repair_ocr_name,
)
from classifiers.nlp import PhraseFinder
from classifiers.phrases import LEGAL_PHRASES, REPORT_ONLY_PHRASES
from classifiers.second_reader import ReadLine, SecondReaderError, read_crop_lines
from classifiers.split import FILE_PAGES_KEY, page_fit
from intake.reasons import Reason
from intake.types import BBox, Document, FieldValue, Page, Word

log = logging.getLogger(__name__)

FORM_TYPES = ("release_images", "third_party_release")
FORM_FIELDS = (
    "patient_name", "date_of_birth", "mrn", "exam_date", "exam_description",
    "release_to_name", "release_to_address", "purpose", "expiry_date",
    "expiry_event", "representative_name", "representative_authority",
    "signature_date",
)  # fmt: skip
"""Fields read from a form's writing areas (the names the layouts use)."""
NAME_MATCH_MIN = 80.0
"""Minimum rapidfuzz ratio (0-100) between a handwritten and a typed name."""
NAME_MATCH_MARGIN = 10.0
TYPED_FIELDS_KEY = "typed_fields"
"""Page cache key of a typed page's letter fields."""
TYPED_FIELD_CONFIDENCE = 0.8
"""Confidence a field typed on another page needs to stand in for a form's."""
TYPED_PAGE_CONFIDENCE = 85.0
"""Mean OCR confidence above which a scanned page is taken as typed print."""
SECOND_READER_ENABLED = True
"""Re-read weak handwritten fields with RapidOCR (see ``second_reader``)."""
WEAK_FIELD_CONFIDENCE = 0.95
"""Field confidence under which the second reader is tried.

Measured on a 60-file generated tuning corpus of registered editions (530
filled form fields, tesseract 5.3, RapidOCR 3.10). On scanned pages
tesseract read 74 of 418 handwritten values right and RapidOCR 290.
Keeping tesseract's value only at 0.95 or more, and else the more
confident of the two, read 402 of 530 in all (text-layer pages included).
That is as many as always taking the more confident reading."""
DATE_FIELDS = ("date_of_birth", "exam_date", "expiry_date", "signature_date")
NAME_FIELDS = ("patient_name", "representative_name")

ROUTING_PHRASES: dict[str, list[str]] = {
    "legal": [
        *LEGAL_PHRASES,
        "legal proceedings",
        "legal purposes",
        "legal purpose",
        "legal action",
        "legal claim",
        "pending claim",
        "abogada",
        "proceso legal",
        "fines legales",
    ],
    "report_only": [
        *REPORT_ONLY_PHRASES,
        "the report alone",
        "written report only",
        "images are not necessary",
        "without images",
        "solamente el informe",
        "sin imagenes",
    ],
}
LEGAL_WORD = re.compile(r"\blegal(?:es)?\b")
"""The word "legal" (Spanish plural "legales") in folded text."""
NEGATED_LEGAL = ("power of attorney", "legal representative", "personal representative")
"""Form and letter phrases that contain a legal word but are not legal requests."""


def extract_fields(document: Document) -> dict[str, FieldValue]:
    """Extract the output fields, plus the form fields the checks need.

    Args:
        document: A classified document.

    Returns:
        Field values by name. A field that was not found is absent; dates
        are ISO strings.
    """
    if document.doc_type in FORM_TYPES:
        fields = _extract_form_fields(document)
    elif document.doc_type in ("physician_request", "other", "fax_cover"):
        fields = letter_fields.extract_letter_fields(document)
    else:
        fields = {}
    log.debug("document %s: %d fields found", document.doc_id, len(fields))
    return fields


def form_regions(document: Document) -> tuple[Page, FormRegions] | None:
    """Return the page of a form document that contains its fields, with its regions.

    The page with a fitted registered layout wins; otherwise the first page
    is read by its labels.
    """
    if not document.pages:
        return None
    for page in document.pages:
        fit = page_fit(page)
        if fit is not None and fit.layout.doc_type == document.doc_type:
            return page, locate_regions(page, fit)
    page = document.pages[0]
    return page, locate_regions(page, None)


def _extract_form_fields(document: Document) -> dict[str, FieldValue]:
    found = form_regions(document)
    if found is None:
        return {}
    page, regions = found
    fields: dict[str, FieldValue] = {}
    for name in FORM_FIELDS:
        region = regions.fields.get(name)
        if region is None:
            continue
        value = read_field(page, region, document.language, regions.fit)
        if value is not None:
            fields[name] = value
    expiry = fields.get("expiry_date") or fields.get("expiry_event")
    if expiry is not None:
        fields["expiry"] = expiry
    name = fields.get("patient_name")
    if name is not None and name.value:
        typed = _typed_patients_elsewhere(document)
        match = _matching_typed_name(typed, name.value)
        if match is not None:
            fields["patient_name"] = _typed_name(document, name, *match)
            birth = _typed_birth_date(typed[match[0]], fields.get("date_of_birth"))
            if birth is not None:
                fields["date_of_birth"] = birth
    return fields


def match_typed_name(document: Document, handwritten: FieldValue) -> FieldValue:
    """Replace a misread handwritten patient name by the same name typed elsewhere.

    A fax or scan usually carries a typed letter with the forms of the same
    patient. When the form's reading is close to exactly one name typed on
    another page of the file (similarity of at least ``NAME_MATCH_MIN``, and
    no rival within ``NAME_MATCH_MARGIN``), the typed spelling is kept,
    since OCR reads print far better than handwriting. A form whose name
    matches nothing keeps its own reading, so two patients' forms in one
    file stay apart.
    """
    match = _matching_typed_name(
        _typed_patients_elsewhere(document), handwritten.value or ""
    )
    if match is None:
        return handwritten
    return _typed_name(document, handwritten, *match)


def _matching_typed_name(
    typed: dict[str, FieldValue | None], handwritten: str
) -> tuple[str, float] | None:
    """Return the one typed name close to a handwritten one, with its score."""
    if not typed:
        return None
    key = normalize_name(handwritten)
    scored = sorted(
        ((fuzz.ratio(key, normalize_name(name)), name) for name in typed), reverse=True
    )
    best_score, best = scored[0]
    rival = scored[1][0] if len(scored) > 1 else 0.0
    if best_score < NAME_MATCH_MIN or best_score - rival < NAME_MATCH_MARGIN:
        return None
    return best, best_score


def _typed_name(
    document: Document, handwritten: FieldValue, typed: str, score: float
) -> FieldValue:
    if normalize_name(typed) == normalize_name(handwritten.value or ""):
        return handwritten
    log.debug("document %s: patient name matched to a typed page", document.doc_id)
    confidence = max(handwritten.confidence, round(score / 100, 3))
    return FieldValue(
        typed, confidence, handwritten.page, handwritten.bbox, "file_context"
    )


def _typed_birth_date(
    typed: FieldValue | None, handwritten: FieldValue | None
) -> FieldValue | None:
    """Return the birth date typed beside the same patient's name, if the form's is weak.

    A form's handwritten date of birth that was not read, or read with
    less than ``TYPED_FIELD_CONFIDENCE``, gives way to the date typed on a
    page of the same file whose patient name matched the form's. A
    confidently read date that disagrees is kept for a person to judge.
    """
    if typed is None or not typed.value or typed.confidence < TYPED_FIELD_CONFIDENCE:
        return None
    if handwritten is not None and handwritten.value:
        if handwritten.confidence >= TYPED_FIELD_CONFIDENCE:
            return None
        if handwritten.value == typed.value:
            return None
    page = handwritten.page if handwritten is not None else None
    bbox = handwritten.bbox if handwritten is not None else None
    return FieldValue(typed.value, typed.confidence, page, bbox, "file_context")


def _typed_patients_elsewhere(document: Document) -> dict[str, FieldValue | None]:
    """Return the patient names typed on the file's other pages, with their birth dates."""
    pages = page_cache.peek(document.pages[0], FILE_PAGES_KEY) or []
    own = {id(page) for page in document.pages}
    others = [page for page in pages if id(page) not in own and _is_typed(page)]
    patients: dict[str, FieldValue | None] = {}
    for page in others:
        # Every form of the file reads the same pages, and reading a
        # letter's fields runs tesseract on its name line, so read each once.
        fields = page_cache.cached(page, TYPED_FIELDS_KEY, _typed_page_fields)
        value = fields.get("patient_name")
        if (
            value is None
            or not value.value
            or value.confidence < TYPED_FIELD_CONFIDENCE
        ):
            continue
        # A cover sheet names the patient without a birth date, so a later
        # page's date fills in a name already seen.
        known = patients.get(value.value)
        if known is None or not known.value:
            patients[value.value] = fields.get("date_of_birth")
    return patients


def _typed_page_fields(page: Page) -> dict[str, FieldValue]:
    letter = Document(page.source, [page], doc_type="other", language=page.language)
    return letter_fields.extract_letter_fields(letter)


def _is_typed(page: Page) -> bool:
    """Return True for a page of print: a text layer or a confident OCR reading."""
    return page.has_text_layer or page.ocr_confidence >= TYPED_PAGE_CONFIDENCE


def read_field(
    page: Page, region: FieldRegion, language: str, fit: LayoutFit | None = None
) -> FieldValue | None:
    """Read the words written in one field's area and clean them by field type.

    When tesseract's reading is missing or weak and the area has ink, the
    area's crop is read again by RapidOCR and the more confident of the two
    cleaned values is kept. In a name field RapidOCR's misread letters are
    first repaired from the census name lists (``name_lexicon``).
    """
    words = words_in_region(page, region)
    value = _value_from_words(page, region, words, language, "tesseract")
    if value is not None and value.confidence >= WEAK_FIELD_CONFIDENCE:
        if region.role in NAME_FIELDS and SECOND_READER_ENABLED:
            return _with_skipped_initials(page, region, words, value, language)
        return value
    if not SECOND_READER_ENABLED or not _has_writing(page, region):
        return value
    lines = _read_again(page, region)
    if lines is None:
        return value
    second_words = [line.word for line in lines]
    reader = "rapidocr"
    if region.role in NAME_FIELDS:
        repaired = [replace(line.word, text=repair_name_line(line)) for line in lines]
        if repaired != second_words:
            second_words, reader = repaired, "rapidocr_name_lists"
    second = _value_from_words(page, region, second_words, language, reader)
    if second is not None and (value is None or second.confidence > value.confidence):
        return second
    return value


def _read_again(page: Page, region: FieldRegion) -> list[ReadLine] | None:
    """Read a field's area with RapidOCR, or return None when the second reader fails."""
    try:
        return read_crop_lines(page.image, region.reading_area, region.polygon)
    except SecondReaderError as error:
        log.warning("page %s: second reader failed: %s", page.number, error)
        return None


_INITIAL = re.compile(r"^[^\W\d_]\.?$")
SKIPPED_WORD_HEIGHT = 0.5
"""Height, as a share of the read words' median height, from which writing
between them is taken for a word tesseract skipped."""
STRAY_LETTER_GAP = 2.0
"""Gap, in read words' median heights, beyond which a lone letter beside a
name is taken for a mark, not an initial."""
SKIPPED_WORD_SPECK = 1 / 40
"""Ink pieces smaller than this share of the read words' median height
squared are fax specks, not a skipped word."""


def _with_skipped_initials(
    page: Page, region: FieldRegion, words: list[Word], value: FieldValue, language: str
) -> FieldValue:
    """Add the initials tesseract skipped in a name it read confidently.

    Tesseract at times leaves out a short word of handwriting between two
    it reads well (the "L." of "Oliver L. Greenberg"). When writing lies
    between the words it read, RapidOCR reads the area too, and only the
    initials its reading adds between those words are taken.
    """
    if not words or not _has_skipped_writing(page, region, words):
        return value
    lines = _read_again(page, region)
    if lines is None:
        return value
    second = _value_from_words(
        page, region, [line.word for line in lines], language, "rapidocr"
    )
    merged = None if second is None else _insert_initials(value.value, second.value)
    log.debug("page %s: name read again for writing between its words", page.number)
    if merged is None:
        return value
    return replace(value, value=merged, bbox=union_boxes([value.bbox, second.bbox]))


def _insert_initials(read: str, second: str) -> str | None:
    """Return ``read`` with the initials ``second`` has between its words, or None.

    Each other word of ``second`` must be the next word of ``read``, with
    the same first letter and give or take a misread letter, and ``read``
    keeps its spelling. An initial is a capital letter between two such
    words, so a mark read before or after the name adds nothing.
    """
    mine, theirs = read.split(), second.split()
    merged: list[str] = []
    waiting: list[str] = []
    index = 0
    for word in theirs:
        if index < len(mine) and _same_word(word, mine[index]):
            merged.extend(waiting)
            waiting = []
            merged.append(mine[index])
            index += 1
        elif index > 0 and _is_initial(word):
            waiting.append(word[0] + ".")
        else:
            return None
    if index < len(mine) or waiting or len(merged) == len(mine):
        return None
    return " ".join(merged)


def _same_word(word: str, other: str) -> bool:
    first, second = normalize_name(word), normalize_name(other)
    return first[:1] == second[:1] and fuzz.ratio(first, second) >= NAME_MATCH_MIN


def _is_initial(word: str) -> bool:
    return (
        _INITIAL.match(word) is not None
        and word[0].isupper()
        and word[0].lower() not in PARTICLES
    )


def _has_skipped_writing(page: Page, region: FieldRegion, words: list[Word]) -> bool:
    """Return True when writing as tall as a letter lies between two read words."""
    height = int(np.median([word.bbox[3] - word.bbox[1] for word in words]))
    pad = 3
    ordered = sorted(words, key=lambda word: word.bbox[0])
    for before, after in itertools.pairwise(ordered):
        gap = (
            before.bbox[2] + pad,
            min(before.bbox[1], after.bbox[1]),
            after.bbox[0] - pad,
            max(before.bbox[3], after.bbox[3]),
        )
        if gap[2] - gap[0] < height * SKIPPED_WORD_HEIGHT:
            continue
        # Only a fill line runs the whole gap; a letter's stem must stay.
        ink = _writing_in(
            page,
            gap,
            rule_length=max(gap[2] - gap[0], 2 * height),
            min_speck=round(height * height * SKIPPED_WORD_SPECK),
        )
        if (
            ink.bbox is not None
            and ink.bbox[3] - ink.bbox[1] >= height * SKIPPED_WORD_HEIGHT
        ):
            return True
    return False


def _value_from_words(
    page: Page, region: FieldRegion, words: list[Word], language: str, reader: str
) -> FieldValue | None:
    if region.role in NAME_FIELDS:
        words = _without_stray_letters(words)
    if not words:
        return None
    text = join_words(words)
    bbox = union_boxes([word.bbox for word in words])
    ocr_confidence = sum(word.conf for word in words) / (100.0 * len(words))
    value, validity = clean_value(region.role, text, language)
    if value is None:
        return None
    confidence = round(min(ocr_confidence, 1.0) * validity, 3)
    return FieldValue(value, confidence, page.number, bbox, reader)


def _without_stray_letters(words: list[Word]) -> list[Word]:
    """Drop the one-letter words that stand apart from the rest of a name.

    A tick or cross beside a name is read as "X", "T" or "I", while an
    initial is written as close to the name as its other words are.
    """
    if len(words) < 2:
        return words
    height = float(np.median([word.bbox[3] - word.bbox[1] for word in words]))

    def stands_apart(word: Word) -> bool:
        if sum(char.isalnum() for char in word.text) != 1:
            return False
        gap = min(
            _box_gap(word.bbox, other.bbox) for other in words if other is not word
        )
        return gap > STRAY_LETTER_GAP * height

    return [word for word in words if not stands_apart(word)]


def _box_gap(first: BBox, second: BBox) -> int:
    """Return the larger of the horizontal and vertical gaps between two boxes."""
    across = max(0, second[0] - first[2], first[0] - second[2])
    down = max(0, second[1] - first[3], first[1] - second[3])
    return max(across, down)


def _has_writing(page: Page, region: FieldRegion) -> bool:
    ink = _writing_in(
        page,
        region.reading_area,
        ignore=[word.bbox for word in region.label_words],
        polygon=region.polygon,
    )
    return ink.pixels > 0


def _writing_in(
    page: Page,
    area: BBox,
    ignore: list[BBox] | None = None,
    polygon: tuple[tuple[int, int], ...] | None = None,
    min_speck: int = 6,
    rule_length: int | None = None,
) -> InkMeasure:
    """Measure the writing in ``area`` once fill lines and the ``ignore`` boxes go.

    Straight lines of ``rule_length`` pixels or more are fill lines. By
    default that length is a quarter of the area's width, but at least 20
    pixels and at most 0.6 inch.
    """
    if rule_length is None:
        rule_length = max(20, min((area[2] - area[0]) // 4, round(page.dpi * 0.6)))
    return measure_ink(
        page_ink(page),
        area,
        ignore=ignore or [],
        rule_length=rule_length,
        polygon=polygon,
        min_speck=max(6, min_speck),
    )


def clean_value(role: str, text: str, language: str) -> tuple[str | None, float]:
    """Clean a field's raw text by its kind and return it with a validity 0-1."""
    if role in DATE_FIELDS:
        future = 0 if role == "date_of_birth" else 10
        reading = parse_date(text, language, future_years=future)
        if reading is None:
            return None, 0.0
        return reading.iso, reading.confidence
    if role in NAME_FIELDS:
        name = clean_name(repair_ocr_name(text))
        if name is None:
            return None, 0.0
        return name, name_plausibility(name)
    if role == "mrn":
        return _clean_record_number(text)
    cleaned = _clean_text(text)
    return (cleaned, 1.0) if cleaned else (None, 0.0)


def words_in_region(page: Page, region: FieldRegion) -> list[Word]:
    """Return the words whose center lies in the field's writing area.

    The area includes ``region.rise`` above the fill area, because writing
    often rises above it; words of the printed label are left out.
    Writing may also run past the end of the line, so a word counts when
    its middle is after the line's start and it starts before its end.
    """
    left, top, right, bottom = region.reading_area
    label_ids = {id(word) for word in region.label_words}
    polygon = None
    if region.polygon is not None:
        polygon = np.array(region.polygon, dtype=np.float32)
    found = []
    for word in page.words:
        if id(word) in label_ids or not word.text.strip():
            continue
        x = (word.bbox[0] + word.bbox[2]) / 2
        y = (word.bbox[1] + word.bbox[3]) / 2
        if not (left <= x and word.bbox[0] < right and top <= y <= bottom + 1):
            continue
        if polygon is not None:
            inside = cv2.pointPolygonTest(polygon, (min(x, right - 1), y), False)
            if inside < 0:
                continue
        if region.label is None or not _inside(x, y, region.label):
            found.append(word)
    return found


def join_words(words: list[Word]) -> str:
    """Join words in reading order: rows top to bottom, each left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2):
        middle = (word.bbox[1] + word.bbox[3]) / 2
        if rows:
            last = rows[-1][-1]
            height = last.bbox[3] - last.bbox[1]
            if abs(middle - (last.bbox[1] + last.bbox[3]) / 2) <= height * 0.6:
                rows[-1].append(word)
                continue
        rows.append([word])
    lines = [
        " ".join(w.text for w in sorted(row, key=lambda w: w.bbox[0])) for row in rows
    ]
    return "\n".join(lines)


def _inside(x: float, y: float, box: BBox) -> bool:
    return box[0] - 2 <= x <= box[2] + 2 and box[1] - 2 <= y <= box[3] + 2


def _clean_text(text: str) -> str:
    lines = [re.sub(r"[_|]{2,}", " ", line) for line in text.splitlines()]
    lines = [" ".join(line.split()).strip(" :;,.-") for line in lines]
    return ", ".join(line for line in lines if line)


_RECORD_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9\-]{3,19}", re.IGNORECASE)


def _clean_record_number(text: str) -> tuple[str | None, float]:
    for token in _RECORD_NUMBER.findall(text.replace(" ", "")):
        digits = sum(c.isdigit() for c in token)
        if digits >= max(3, len(token) // 2):
            return token.upper(), 1.0
    return None, 0.0


# Routing ------------------------------------------------------------------


@lru_cache(maxsize=2)
def _routing_finder(language: str) -> PhraseFinder:
    phrases = dict(ROUTING_PHRASES)
    phrases["negated"] = list(NEGATED_LEGAL)
    return PhraseFinder(phrases, language)


def detect_routing(document: Document) -> list[Reason]:
    """Return routing reasons: a report-only request, a legal request.

    Args:
        document: A document with its fields already extracted.

    Returns:
        ``REPORT_ONLY_REQUEST`` and/or ``LEGAL_REQUEST``, or an empty list.
    """
    if document.doc_type in FORM_TYPES:
        text = "\n".join(
            field.value or ""
            for name, field in document.fields.items()
            if name in ("purpose", "release_to_name")
        )
    elif document.doc_type == "fax_cover":
        return []
    else:
        text = document.text
    counts = _routing_finder(document.language).count(text)
    reasons = []
    if counts.get("report_only"):
        reasons.append(Reason.REPORT_ONLY_REQUEST)
    if counts.get("legal") or _legal_purpose(document):
        reasons.append(Reason.LEGAL_REQUEST)
    return reasons


def _legal_purpose(document: Document) -> bool:
    """Return True when a form's purpose contains the word "legal" ("Legal review").

    In the purpose of a release the word alone marks a legal use; elsewhere
    it also appears in "legal representative" and is not enough.
    """
    purpose = document.fields.get("purpose")
    if document.doc_type not in FORM_TYPES or purpose is None or not purpose.value:
        return False
    return bool(LEGAL_WORD.search(fold_text(purpose.value)))
