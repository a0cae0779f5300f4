"""Find patient, exam and physician fields in the free text of a letter.

Letters put fields either behind a label ("Patient: Ana Ruiz", "DOB:
04/09/1971", "MRN 00451273") or in a sentence ("my patient, Ana Ruiz,
born April 9, 1971, had a CT of the chest on ..."). Both shapes are
searched in English and Spanish. The physician is the signer: the name
after the closing ("Sincerely,") or the name carrying a credential (MD,
DO). The physician's fax number comes from a "Fax" label, normally in the
letterhead.

Dates take the page language's day/month order (see ``dates``). A date of
birth is never in the future, and the exam date is a date near an exam
mention that is neither the date of birth nor the letter's own date.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from classifiers.dates import DateReading, find_dates, fold_text
from classifiers.lines import PageText, union_boxes, visual_rows
from classifiers.name_lexicon import repair_print_confusions
from classifiers.names import (
    clean_name,
    name_plausibility,
    normalize_name,
    repair_ocr_name,
    split_credentials,
)
from intake.errors import OcrError, OcrTimeoutError
from intake.types import Document, FieldValue, Page
from ocr.tesseract import first_installed, read_region

log = logging.getLogger(__name__)

NAME_REREAD_LANGUAGES = ("Latin", "script/Latin", "spa+eng")
"""Models for reading a typed name again, best first. The Latin-script model
reads the letters of every European language ("ø", "ń", "ë"); English and
Spanish serve where it is not installed."""
SINGLE_LINE_PSM = 7
NAME_REREAD_TIMEOUT = 10.0
"""Seconds tesseract may take to read one name line again."""
SAME_NAME_RATIO = 70
"""Minimum rapidfuzz ratio between the two readings of one name."""

_UPPER = "A-ZÀ-ÖØ-Þ"
# A capitalized word, or an initial. A leading "l" stands for OCR's reading
# of a capital "I" ("lan" for "Ian"), and a comma after an initial that a
# name word follows for its period ("Susan A, Nguyen"); ``repair_ocr_name``
# restores both.
_NAME_WORD = (
    rf"(?:[{_UPPER}]\.|[{_UPPER}],(?=[ \t]+[{_UPPER}])"
    rf"|(?:[{_UPPER}]|l(?=[a-z]))[^\W\d_]*(?:['’\-][^\W\d_]+)*)"
)
_PARTICLE = r"(?:de|del|la|las|los|y|van|von|da|di|du|le)"


def _name_pattern(after_first: str = "") -> str:
    """Build the pattern of a name, with ``after_first`` allowed after its first word."""
    rest = rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_NAME_WORD}){{1,4}}"
    return rf"({_NAME_WORD}{after_first}{rest})"


NAME = _name_pattern()
"""Two to five capitalized words on one line, with lowercase particles between."""
LABELED_NAME = _name_pattern(after_first=",?")
"""A name after a label, which may also be written "Nguyen, Susan"."""

STRAY_MARK = r"(?:[.,*'‘’`·•:;][ \t]*)?"
"""One speck that a fax or scan left between a label and its value, which OCR
reads as punctuation ("Patient name: . Sean Greenberg", "MRN: * 7028")."""

# Labels match in any case; the name after them must be capitalized, so
# "Re: our client Ana Ruiz" does not yield "our client". OCR reads the "i"
# of "patient" as "l" or "1" often enough to allow both.
PATIENT_LABEL = re.compile(
    r"(?i:pat[il1]ent(?:'s)?\s+name|name\s+of\s+pat[il1]ent|pat[il1]ent|pt\.?\s+name|"
    r"re|regarding|nombre\s+del\s+paciente|paciente|asunto)\s*[:;\-]\s*"
    + STRAY_MARK
    + r"(?:(?i:our|my)\s+(?i:client|patient)\s*[:,]?\s+)?"
    + LABELED_NAME,
)
PATIENT_SENTENCE = re.compile(
    r"(?i:(?:my|our|the\s+above|this|mutual|your)\s+patient|patient\s+named|"
    r"on\s+behalf\s+of|images\s+(?:of|for)|studies\s+(?:of|for)|mi\s+paciente|"
    r"nuestr[oa]\s+paciente|(?:el|la|al?)\s+paciente|de\s+la\s+paciente|del\s+paciente|"
    r"our\s+client|my\s+client|nuestr[oa]\s+cliente)\s*,?\s+"
    r"(?:(?i:mr|mrs|ms|miss|sr|sra|srta)\.?\s+)?" + NAME,
)
ADDRESSEE = re.compile(
    rf"^[ \t]*{NAME}[ \t]*\n[ \t]*(?:\d{{1,6}}[ \t]+\S|(?i:p\.?\s?o\.?\s+box))[^\n]*\n"
    rf"(?:[^\n]*\n)?[^\n]*,[ \t]*[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?\b",
    re.MULTILINE,
)
"""A letter's inside address: a name line, a street or PO box line, and a
"City, ST 12345" line within the next two."""
ADDRESSEE_CONFIDENCE = 0.6
"""Confidence of a patient named only as the addressee (an insurer's letter
to the patient): enough to list candidates, never to attach alone."""
DOB_LABEL = re.compile(
    r"(?:date[\s,]+of\s+birth|birth\s*date|\b[Il|]?d\.?\s?[o0]\.?\s?[b8r]\b\.?|born(?:\s+on)?|"
    r"fecha[\s,]+de\s+nacimiento|f\.?\s*(?:de\s*)?nac\.?|nacid[oa]\s+el)\s*[:;\-]?",
    re.IGNORECASE,
)
"""A birth-date label. OCR may put a stray comma inside it ("fecha, de"),
read "DOB" as "D0B", "DO8" or "DOR", join a rule left of it as "IDOB", and
read its colon as a semicolon."""
BIRTH_WORD = re.compile(
    r"\b(?:birth|born|[Il|]?d[o0][b8r]|nacimiento|nacid[oa])\b", re.IGNORECASE
)
"""Any word about birth. While one is in the text, a missing birth date is
not reported as absent: the label may be there in a shape not read."""
MRN_LABEL = re.compile(
    r"(?:mrn|m\.r\.n\.?|medical\s+record\s*(?:number|no\.?|#)?|med\.?\s*rec\.?\s*(?:no\.?|#)|"
    r"record\s+(?:number|no\.?|#)|chart\s+(?:number|no\.?|#)|mr\s*#|"
    r"n[uú]mero\s+de\s+expediente|n\.?\s*[ºo°]?\s*de\s+expediente|expediente|"
    r"historia\s+cl[ií]nica)\s*[:#]?\s*"
    + STRAY_MARK
    + r"(?:no\.?\s*)?([A-Z0-9][A-Z0-9\-]{3,19})\b",
    re.IGNORECASE,
)
EXAM_DATE_LABEL = re.compile(
    r"(?:exam(?:ination)?\s+date|date\s+of\s+(?:exam(?:ination)?|service|study|procedure)|"
    r"study\s+date|performed\s+on|done\s+on|obtained\s+on|completed\s+on|dated|"
    r"fecha\s+del?\s+estudio|realizad[oa](?:\s+el)?|del\s+d[ií]a)\s*[:\-]?",
    re.IGNORECASE,
)
EXAM_LABEL = re.compile(
    r"^(?:exam|examination|study|procedure|imaging|estudio|examen)\s*(?:requested)?\s*:"
    r"[ \t]*([^\n]{3,80})$",
    re.IGNORECASE | re.MULTILINE,
)
"""An "Exam: CT head" line; its value is the exam description as written."""
MODALITY = re.compile(
    r"\b(?:(?:RUQ|RLQ|LUQ|LLQ|bilateral|screening|diagnostic|chest|pelvic|renal|"
    r"abdominal|thyroid|carotid|transvaginal|obstetric)\s+)?"
    r"(?:CTA|CT|MRI|MRA|MR|PET/CT|PET|X-?rays?|XR|radiographs?|ultrasound|US|"
    r"mammogram|mammography|DEXA|DXA|nuclear\s+medicine|fluoroscopy|echocardiogram|"
    r"bone\s+scan|(?:angio)?tomograf[ií]a|(?:angio)?resonancia(?:\s+magn[ée]tica)?|"
    r"radiograf[ií]as?|ecograf[ií]a|mamograf[ií]a|ultrasonido|densitometr[ií]a|"
    r"gammagraf[ií]a|centellograf[ií]a)\b",
    re.IGNORECASE,
)
BODY_PART = re.compile(
    r"\b(?:head|brain|skull|sinus(?:es)?|face|neck|chest|lungs?|heart|breasts?|"
    r"abdomen|abdominal|pelvis|pelvic|kidneys?|renal|liver|spine|lumbar|thoracic|"
    r"cervical|shoulder|arm|elbow|wrist|hand|fingers?|hip|thigh|femur|knee|leg|"
    r"ankle|foot|feet|toes?|joint|bones?|cabeza|cr[áa]neo|cuello|t[óo]rax|pecho|"
    r"pulm[óo]n|mamas?|abdomen|pelvis|columna|hombro|codo|mu[ñn]eca|mano|cadera|"
    r"rodilla|pierna|tobillo|pie)\b",
    re.IGNORECASE,
)
"""Body parts that, with or without a modality, make an exam description specific."""
GENERIC_EXAM_CONFIDENCE = 0.45
"""Confidence of a labelled exam naming no modality and no body part ("All
recent imaging"): under the decision's field floor, so a person decides which
exams are meant."""
EXAM_STOP = re.compile(
    r"\s+(?:performed|done|obtained|completed|dated|taken|that|which|at\s+your|at\s+the|"
    r"for|in|with\s+dr|realizad[oa]|hech[oa]|tomad[oa]|a\s+mi|a\s+nuestr[oa]|"
    r"en\s+su|para)\b|\s+(?:on|of|from|el|del|de)\s+(?=\w*\s*\d)|[.;(]|,\s|"
    r"\s+(?:on|el)\s+(?:or\s+about\s+)?(?=[A-Za-z]+\s+\d)|\s+\d{1,4}[/\-.]|"
    r"\n|\s+\S+:",
    re.IGNORECASE,
)
"""End of an exam phrase: a verb or preposition that starts the next
clause, a date, punctuation, or the next "Label:"."""
CLOSING = re.compile(
    r"^(?:sincerely|respectfully|best\s+regards|kind\s+regards|regards|warm\s+regards|"
    r"thank\s+you|yours\s+truly|atentamente|cordialmente|saludos(?:\s+cordiales)?)\b",
    re.IGNORECASE,
)
SALUTATION = re.compile(r"^(?:dear|to\s+whom|estimad[oa]s?|a\s+quien)\b", re.IGNORECASE)
CREDENTIAL_NAME = re.compile(
    r"(?:Dr\.?|Dra\.?)\s+"
    + NAME
    + r"|"
    + NAME
    + r",?\s+(?:M\.?\s?D\.?|D\.?\s?O\.?|MD|DO|FACR|FACP|NP|PA-C)\b"
)
FAX_NUMBER = re.compile(
    r"\b(?:fax|facsimile|f)\s*(?:no\.?|number|#)?\s*[:.]?\s*"
    r"(\+?1?[\s.\-]?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4})",
    re.IGNORECASE,
)

CLEAR_PRINT_CONFIDENCE = 85.0
"""Mean OCR confidence (0-100) above which a page's text is trusted to be
complete enough to say that a field is missing."""
ABSENT_CONFIDENCE = 0.85
MIN_BODY_WORDS = 25
"""Words a letter needs between its salutation and closing (or before its
closing) before a field can be called absent."""
MAX_EXAM_WORDS = 12
LETTERHEAD_LINES = 6
"""Lines at the top of a letter's first page searched as its letterhead."""
EXAM_DATE_WINDOW = 90
"""Characters after an exam mention searched for its date."""


@dataclass(frozen=True)
class _Hit:
    value: str
    confidence: float
    page_index: int
    start: int
    end: int


def extract_letter_fields(document: Document) -> dict[str, FieldValue]:
    """Extract patient, exam and physician fields from a letter's text.

    The text is rebuilt in visual rows, so a label and the value printed
    beside it ("Patient name:   Ana Ruiz") read as one line even when
    tesseract read them as separate blocks.
    """
    texts = [PageText(visual_rows(page)) for page in document.pages]
    language = document.language
    hits: dict[str, _Hit] = {}
    for index, text in enumerate(texts):
        for name, hit in _page_hits(text.text, index, language).items():
            if name not in hits or hit.confidence > hits[name].confidence:
                hits[name] = hit
    if "patient_name" not in hits and document.doc_type == "other":
        # A letter to the patient (an insurer's notice) names them only in
        # its inside address. Letters to the center are addressed to the
        # center, whose name is a stop phrase.
        for index, text in enumerate(texts):
            addressee = _find_addressee(text.text, index)
            if addressee is not None:
                hits["patient_name"] = addressee
                break
    fields = {}
    for name, hit in hits.items():
        text = texts[hit.page_index]
        words = text.words_in_span(hit.start, hit.end)
        bbox = union_boxes([w.bbox for w in words]) if words else None
        ocr = sum(w.conf for w in words) / (100 * len(words)) if words else 0.5
        confidence = round(hit.confidence * min(1.0, 0.4 + 0.6 * ocr), 3)
        page = document.pages[hit.page_index]
        value = FieldValue(hit.value, confidence, page.number, bbox)
        if name == "patient_name":
            value = _reread_name(page, value, ocr)
            if not page.has_text_layer and value.value:
                # A text layer is not OCR, so it has no print confusions.
                value = replace(value, value=repair_print_confusions(value.value))
        fields[name] = value
    full_text = "\n".join(text.text for text in texts)
    if all(_is_clear_print(page) for page in document.pages) and _has_body(full_text):
        _report_absent_fields(fields, full_text)
    return fields


def _reread_name(page: Page, value: FieldValue, page_ocr: float) -> FieldValue:
    """Read a typed patient name again, alone on its line, with the Latin-script model.

    The page is read with one language model, and the English one turns
    the accents of Spanish names into other letters ("Mufioz" for "Muñoz",
    "Saldaiia" for "Saldaña"), as both turn "ø" into "é". So the name's own
    line is read again with the model of every Latin-script language. The
    new reading is kept when tesseract is surer of it and it is still the
    same name, misreadings aside.
    """
    if page.has_text_layer or value.bbox is None or not value.value:
        return value
    try:
        words = read_region(
            page.image, value.bbox, first_installed(NAME_REREAD_LANGUAGES),
            SINGLE_LINE_PSM,
            NAME_REREAD_TIMEOUT, source=page.source, page_number=page.number,
        )  # fmt: skip
    except (OcrError, OcrTimeoutError) as error:
        log.warning("page %d: name re-read failed: %s", page.number, error)
        return value
    if not words:
        return value
    ocr = sum(word.conf for word in words) / (100 * len(words))
    name = clean_name(repair_ocr_name(" ".join(word.text for word in words)))
    if name is None or ocr <= page_ocr:
        return value
    if fuzz.ratio(normalize_name(name), normalize_name(value.value)) < SAME_NAME_RATIO:
        return value
    gain = min(1.0, 0.4 + 0.6 * ocr) / min(1.0, 0.4 + 0.6 * page_ocr)
    confidence = round(min(1.0, value.confidence * gain), 3)
    return FieldValue(name, confidence, value.page, value.bbox, "tesseract_line")


def _has_body(text: str) -> bool:
    """Return True when the letter's body was read: enough words before the closing.

    Tesseract sometimes drops a whole block of a page while reading the
    rest confidently. A letter whose body is missing shows nothing about
    which fields it lacks.
    """
    lines = text.split("\n")
    start = next(
        (i for i, line in enumerate(lines) if SALUTATION.match(line.strip())), 0
    )
    end = next(
        (
            i
            for i, line in enumerate(lines)
            if i > start and CLOSING.match(line.strip())
        ),
        len(lines),
    )
    body_words = sum(len(line.split()) for line in lines[start + 1 : end])
    return body_words >= MIN_BODY_WORDS


def _is_clear_print(page: Page) -> bool:
    """Return True for a page read from a text layer or read confidently by OCR."""
    return page.has_text_layer or page.ocr_confidence >= CLEAR_PRINT_CONFIDENCE


def _report_absent_fields(fields: dict[str, FieldValue], text: str) -> None:
    """Record, as a value of None, a field whose every cue is missing from clear text.

    The decision stage rejects a letter only on a confidently reported
    absence. It is reported only when nothing that could carry the field
    is in the text: no birth-date label, or no exam modality and no
    exam-date label. Anything less is left unknown.
    """
    # A missing patient name is not reported: "patient" is in nearly every
    # letter, so no cue can show that the name is absent. The exam counts
    # as absent only when neither its date nor its description has a cue.
    if "date_of_birth" not in fields and not BIRTH_WORD.search(text):
        fields["date_of_birth"] = FieldValue(None, ABSENT_CONFIDENCE)
    exam_names = ("exam_date", "exam_description")
    if any(name in fields for name in exam_names):
        return
    exam_cues = (MODALITY, EXAM_LABEL, EXAM_DATE_LABEL)
    if not any(pattern.search(text) for pattern in exam_cues):
        for name in exam_names:
            fields[name] = FieldValue(None, ABSENT_CONFIDENCE)


def _page_hits(text: str, index: int, language: str) -> dict[str, _Hit]:
    hits: dict[str, _Hit] = {}
    dates = find_dates(text, language)
    dob = _find_dob(text, dates, index)
    finders = {
        "patient_name": _find_patient(text, index),
        "date_of_birth": dob,
        "mrn": _find_mrn(text, index),
        "physician_name": _find_physician(text, index),
        "physician_fax": _find_fax(text, index),
    }
    exam = _find_exam(text, index)
    finders["exam_description"] = exam
    finders["exam_date"] = _find_exam_date(text, dates, index, dob, exam)
    for name, hit in finders.items():
        if hit is not None:
            hits[name] = hit
    return hits


_NAME_GOES_ON = re.compile(rf"\n(?={_PARTICLE}[ \t]|[{_UPPER}][^\W\d_]+,)")
"""A line break inside a name: the next line starts with a particle, or is
one name word ended by a comma ("Echeverría" / "Luna, con fecha...")."""


def _find_patient(text: str, index: int) -> _Hit | None:
    # A name may wrap onto the next line (see ``_NAME_GOES_ON``). Any other
    # next line is left out, since it may start with a capitalized word
    # that is not part of the name.
    joined = _NAME_GOES_ON.sub(" ", text)
    for pattern, confidence in ((PATIENT_LABEL, 0.95), (PATIENT_SENTENCE, 0.85)):
        for match in pattern.finditer(joined):
            raw = _trim_name(match.group(1))
            name = clean_name(repair_ocr_name(raw))
            if name is None or len(name.split()) < 2 or _is_stop_phrase(name):
                continue
            score = confidence * (0.5 + 0.5 * name_plausibility(name))
            start = match.start(1)
            return _Hit(name, score, index, start, start + len(raw))
    return None


def _find_addressee(text: str, index: int) -> _Hit | None:
    for match in ADDRESSEE.finditer(text):
        name = clean_name(repair_ocr_name(match.group(1)))
        if name is None or _is_stop_phrase(name):
            continue
        start = match.start(1)
        return _Hit(
            name, ADDRESSEE_CONFIDENCE, index, start, start + len(match.group(1))
        )
    return None


def _trim_name(raw: str) -> str:
    """Cut a captured name before a following label word."""
    cut = re.split(
        r"\s+(?:DOB|D\.O\.B|Date|Born|MRN|Fecha|Exam|Study|Medical|Record|Please|Who|"
        r"Was|Had|Is|Has|Nacid[oa])\b",
        raw,
    )[0]
    return cut.strip()


_STOP_WORDS = frozenset(
    "request records images image imaging medical radiology report copies copy "
    "release information department authorization patient clinic clinica center "
    "centre hospital group associates practice health medicine gastroenterology "
    "cardiology oncology orthopedics orthopaedics neurology pediatrics urology "
    "dermatology radiology family internal partners services office regional "
    "institute law firm attorney attorneys llp p.c. inc".split()
)
"""Words that mark a practice, firm or document title rather than a person."""


def _is_stop_phrase(name: str) -> bool:
    words = {word.strip(".,") for word in fold_text(name).split()}
    return bool(words & _STOP_WORDS)


def _find_dob(text: str, dates: list[DateReading], index: int) -> _Hit | None:
    for match in DOB_LABEL.finditer(text):
        for reading in dates:
            if match.end() <= reading.start <= match.end() + 12:
                return _Hit(
                    reading.iso, reading.confidence, index, reading.start, reading.end
                )
    return None


def _find_mrn(text: str, index: int) -> _Hit | None:
    for match in MRN_LABEL.finditer(text):
        token = match.group(1)
        if sum(c.isdigit() for c in token) >= max(3, len(token) // 2):
            return _Hit(token.upper(), 0.9, index, match.start(1), match.end(1))
    return None


def _find_exam(text: str, index: int) -> _Hit | None:
    labelled = EXAM_LABEL.search(text)
    if labelled is not None:
        value = labelled.group(1).strip(" ,:;")
        if len(value) >= 3 and sum(c.isalpha() for c in value) >= 3:
            start = labelled.start(1)
            specific = MODALITY.search(value) or BODY_PART.search(value)
            confidence = 0.85 if specific else GENERIC_EXAM_CONFIDENCE
            return _Hit(value, confidence, index, start, start + len(value))
    text = _join_wrapped_lines(text)
    for match in MODALITY.finditer(text):
        if match.group(0) == "US" and not text[match.end() : match.end() + 2].strip():
            continue
        rest = text[match.start() :]
        stop = EXAM_STOP.search(rest, match.end() - match.start())
        phrase = rest[: stop.start()] if stop else rest
        phrase = " ".join(phrase.split()[:MAX_EXAM_WORDS]).strip(" ,:;")
        if len(phrase.split()) < 2:
            continue
        end = match.start() + len(phrase)
        return _Hit(phrase, 0.8, index, match.start(), end)
    return None


def _join_wrapped_lines(text: str) -> str:
    """Join lines that continue a sentence, keeping offsets unchanged.

    A line break becomes a space unless the next line starts with a label
    ("Exam date: ..."), so an exam phrase wrapped over two lines reads whole.
    """
    lines = text.split("\n")
    joined = []
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        label_next = ":" in following[:25]
        joined.append(line + ("\n" if label_next or not following else " "))
    return "".join(joined)[: len(text)]


def _find_exam_date(
    text: str,
    dates: list[DateReading],
    index: int,
    dob: _Hit | None,
    exam: _Hit | None,
) -> _Hit | None:
    def usable(reading: DateReading) -> bool:
        if dob is not None and reading.start == dob.start:
            return False
        return not _is_letter_date(text, reading)

    for match in EXAM_DATE_LABEL.finditer(text):
        for reading in dates:
            if match.end() <= reading.start <= match.end() + 16 and usable(reading):
                return _Hit(
                    reading.iso, reading.confidence, index, reading.start, reading.end
                )
    if exam is not None:
        for reading in dates:
            near = exam.start <= reading.start <= exam.end + EXAM_DATE_WINDOW
            if near and usable(reading):
                score = reading.confidence * 0.85
                return _Hit(reading.iso, score, index, reading.start, reading.end)
    return None


def _is_letter_date(text: str, reading: DateReading) -> bool:
    """Return True for the letter's own date: alone on its line near the top."""
    line_start = text.rfind("\n", 0, reading.start) + 1
    line_end = text.find("\n", reading.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    alone = len(line.strip()) <= reading.end - reading.start + 8
    return alone and text.count("\n", 0, reading.start) <= 12


def _find_physician(text: str, index: int) -> _Hit | None:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for number, line in enumerate(lines):
        if not CLOSING.match(line.strip()):
            continue
        # A scanned signature often reads as debris ("ha han") above the
        # typed name, so every line of the block is tried and the best kept.
        block = range(number + 1, min(number + 5, len(lines)))
        hits = [_name_on_line(lines[i], offsets[i], index) for i in block]
        found = [hit for hit in hits if hit is not None]
        if found:
            return max(found, key=lambda hit: hit.confidence)
    for match in CREDENTIAL_NAME.finditer(text):
        raw = match.group(1) or match.group(2)
        name = clean_name(raw)
        if name and not _is_stop_phrase(name):
            start = match.start(1) if match.group(1) else match.start(2)
            return _Hit(name, 0.75, index, start, start + len(raw))
    return None


def _name_on_line(line: str, offset: int, index: int) -> _Hit | None:
    stripped = re.sub(r"^(?:Dr\.?|Dra\.?)\s+", "", line.strip())
    name_part, credentials = split_credentials(stripped)
    name = clean_name(name_part)
    if name is None or _is_stop_phrase(name) or len(name.split()) < 2:
        return None
    confidence = 0.95 if credentials else 0.75
    start = offset + line.find(name_part.split()[0]) if name_part.split() else offset
    return _Hit(
        name, confidence * name_plausibility(name), index, start, start + len(name_part)
    )


def _find_fax(text: str, index: int) -> _Hit | None:
    """Find the sender's fax number: in the letterhead or the signature block.

    A letter also quotes the recipient's fax (the Image Service Center's)
    in the address block, so a number found elsewhere gets a low confidence.
    """
    lines = text.split("\n")
    letterhead_end = _letterhead_end(lines)
    closing = _closing_offset(lines)
    hits = []
    for match in FAX_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))[-10:]
        if len(digits) != 10:
            continue
        value = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        placed = match.start() < letterhead_end or (
            closing is not None and match.start() > closing
        )
        hits.append(
            _Hit(value, 0.9 if placed else 0.5, index, match.start(1), match.end(1))
        )
    return max(hits, key=lambda hit: hit.confidence) if hits else None


def _letterhead_end(lines: list[str]) -> int:
    """Return the offset where the letterhead ends: at the letter's date line.

    The recipient's address block (with the center's own fax number) comes
    after the date. Without a readable date line, the first
    ``LETTERHEAD_LINES`` lines count as letterhead.
    """
    offset = 0
    for line in lines[: LETTERHEAD_LINES + 4]:
        readings = find_dates(line)
        if readings and len(line.strip()) <= readings[0].end - readings[0].start + 8:
            return offset
        offset += len(line) + 1
    return sum(len(line) + 1 for line in lines[:LETTERHEAD_LINES])


def _closing_offset(lines: list[str]) -> int | None:
    offset = 0
    for line in lines:
        if CLOSING.match(line.strip()):
            return offset
        offset += len(line) + 1
    return None
