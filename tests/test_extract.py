"""Tests for dates, names, letter and form fields, and routing."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfgen.canvas import Canvas

from classifiers.dates import find_dates, parse_date
from classifiers.extract import (
    _insert_initials,
    _without_stray_letters,
    detect_routing,
    extract_fields,
    read_field,
)
from classifiers.form_regions import locate_regions
from classifiers.letter_fields import extract_letter_fields
from classifiers.names import clean_name, normalize_name, split_credentials
from intake.decide import MIN_FIELD_CONFIDENCE
from intake.forms import load_layout
from intake.forms.render import draw_layout, draw_typed_check, draw_typed_values
from intake.reasons import Reason
from intake.types import Document, FieldValue, Page, Word
from ocr.tesseract import installed_languages, read_words
from tests.test_classify import LAW_LETTER, LETTER, REPORT_ONLY_LETTER, make_text_page

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("03/14/2026", "en", "2026-03-14"),
        ("3-14-26", "en", "2026-03-14"),
        ("14/03/2026", "es", "2026-03-14"),
        ("March 14, 2026", "en", "2026-03-14"),
        ("Mar. 14 2026", "en", "2026-03-14"),
        ("14 marzo 2026", "es", "2026-03-14"),
        ("14 de marzo de 2026", "es", "2026-03-14"),
        ("2026-03-14", "en", "2026-03-14"),
        ("2026-03-14", "es", "2026-03-14"),
        ("03.14.2026", "en", "2026-03-14"),
        ("03 / 14 / 2026", "en", "2026-03-14"),
        ("14-Mar-26", "en", "2026-03-14"),
        ("Fecha: 2 de septiembre del 2025", "es", "2025-09-02"),
    ],
)
def test_parse_date_formats(text: str, language: str, expected: str) -> None:
    reading = parse_date(text, language, today=TODAY)
    assert reading is not None
    assert reading.iso == expected


def test_parse_date_order_follows_language() -> None:
    english = parse_date("04/09/1971", "en", today=TODAY)
    spanish = parse_date("04/09/1971", "es", today=TODAY)
    assert english is not None and english.iso == "1971-04-09"
    assert spanish is not None and spanish.iso == "1971-09-04"


def test_parse_date_swaps_impossible_order() -> None:
    reading = parse_date("14/03/2026", "en", today=TODAY)
    assert reading is not None
    assert reading.iso == "2026-03-14"
    assert reading.confidence < 0.8


def test_parse_date_rejects_invalid_dates() -> None:
    assert parse_date("13/13/2026", "en", today=TODAY) is None
    assert parse_date("02/30/2026", "en", today=TODAY) is None
    assert parse_date("March 2026", "en", today=TODAY) is None
    assert parse_date("phone 555-123-4567", "en", today=TODAY) is None
    assert parse_date("P. 1/3", "en", today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("07104/1983", "es", "1983-04-07"),
        ("1/5198", "en", "1998-01-05"),
        ("0810812023", "en", "2023-08-08"),
    ],
)
def test_parse_date_puts_back_lost_separator(
    text: str, language: str, expected: str
) -> None:
    reading = parse_date(text, language, today=TODAY, future_years=0)
    assert reading is not None
    assert reading.iso == expected
    assert reading.confidence < MIN_FIELD_CONFIDENCE


@pytest.mark.parametrize("text", ["0812/1996", "1010184", "555-0123", "30/0//1954"])
def test_parse_date_lost_separator_needs_one_date(text: str) -> None:
    # "0812/1996" reads as 08/12/1996 or as 08/2/1996, and "1010184" as
    # 10/10/84 or 10/01/84: a guess between two dates is no reading.
    assert parse_date(text, "es", today=TODAY, future_years=0) is None


def test_parse_date_two_digit_year_century() -> None:
    recent = parse_date("5/3/26", "en", today=TODAY)
    old = parse_date("5/3/58", "en", today=TODAY)
    birth = parse_date("5/3/20", "en", today=TODAY, future_years=0)
    assert recent is not None and recent.iso == "2026-05-03"
    assert old is not None and old.iso == "1958-05-03"
    assert birth is not None and birth.iso == "2020-05-03"
    assert recent.confidence < 0.9


def test_parse_date_repairs_ocr_letters_with_lower_confidence() -> None:
    reading = parse_date("DOB: O3/l4/1958", "en", today=TODAY)
    assert reading is not None
    assert reading.iso == "1958-03-14"
    assert reading.confidence < 0.85


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("APRIL.14, 1934", "1934-04-14"),
        ("September 13,2025", "2025-09-13"),
        ("September 13. 2025", "2025-09-13"),
        ("Octder 11, 2003", "2003-10-11"),
        ("San 30 1998", "1998-01-30"),
    ],
)
def test_parse_date_reads_garbled_month_dates(text: str, expected: str) -> None:
    reading = parse_date(text, "en", today=TODAY)
    assert reading is not None
    assert reading.iso == expected


def test_parse_date_misspelled_month_is_less_sure() -> None:
    clean = parse_date("Jan 30 1998", "en", today=TODAY)
    misread = parse_date("San 30 1998", "en", today=TODAY)
    assert clean is not None and misread is not None
    assert misread.confidence < clean.confidence


def test_parse_date_lookalike_month_needs_one_swap() -> None:
    # No single look-alike swap turns "Man" into a month; "Dcc" becomes "dec".
    assert parse_date("Man 3 2020", "en", today=TODAY) is None
    reading = parse_date("Dcc 3 2020", "en", today=TODAY)
    assert reading is not None and reading.iso == "2020-12-03"


def test_find_dates_returns_offsets_in_order() -> None:
    text = "Born 04/09/1971, seen March 2, 2026."
    readings = find_dates(text, "en", today=TODAY)
    assert [r.iso for r in readings] == ["1971-04-09", "2026-03-02"]
    assert text[readings[0].start : readings[0].end] == "04/09/1971"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("María José García-López", "María José García-López"),
        (": Dr. Alan O'Neil, MD, FACR", "Alan O'Neil"),
        ("____ Ana Ruiz ____", "Ana Ruiz"),
        ("García, María", "García, María"),
        ("de la Cruz, Juan", "de la Cruz, Juan"),
        ("THOMAS B.LI", "THOMAS B. LI"),
        ("Ana M.Núñez", "Ana M. Núñez"),
        ("ana ruiz", "ana ruiz"),
        ("Van Le", "Van Le"),
    ],
)
def test_clean_name_keeps_real_names(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["John 5mith", "", "12/04/1971", "a b c d e f g h", "de la", "del"]
)
def test_clean_name_rejects_non_names(raw: str) -> None:
    assert clean_name(raw) is None


def test_split_credentials() -> None:
    assert split_credentials("Ana Ruiz, M.D., FACR") == ("Ana Ruiz", ["M.D.", "FACR"])


def test_normalize_name_swaps_last_first_and_folds() -> None:
    assert normalize_name("García-López, María") == normalize_name("Maria Garcia Lopez")


def _letter_document(lines: list[str], doc_type: str = "physician_request") -> Document:
    page = make_text_page(lines)
    return Document(Path("letter.pdf"), [page], doc_type=doc_type)


def test_letter_fields_from_labels_and_sentences() -> None:
    fields = extract_letter_fields(_letter_document(LETTER))
    assert fields["patient_name"].value == "Ana Ruiz Soto"
    assert fields["date_of_birth"].value == "1971-04-09"
    assert fields["exam_date"].value == "2026-02-14"
    assert fields["exam_description"].value == "CT abdomen and pelvis with contrast"
    assert fields["physician_name"].value == "Laura Chen"
    assert fields["physician_fax"].value == "541-555-0143"


def test_letter_fields_carry_page_and_box() -> None:
    fields = extract_letter_fields(_letter_document(LETTER))
    name = fields["patient_name"]
    assert name.page == 1
    assert name.bbox is not None
    assert 0 < name.confidence <= 1


def test_letter_mrn_and_spanish_dates() -> None:
    lines = [
        "Estimado colega:",
        "Paciente: José Luis Pérez Gómez",
        "Fecha de nacimiento: 09/04/1971  Expediente: 00451273",
        "Le solicito las imágenes de la tomografía de tórax realizada el 14/02/2026.",
        "Atentamente,",
        "Dra. Carmen Ortiz",
    ]
    document = _letter_document(lines)
    document.language = "es"
    fields = extract_letter_fields(document)
    assert fields["patient_name"].value == "José Luis Pérez Gómez"
    assert fields["date_of_birth"].value == "1971-04-09"
    assert fields["mrn"].value == "00451273"
    assert fields["exam_date"].value == "2026-02-14"


def test_letter_date_is_not_exam_date() -> None:
    lines = [
        "March 2, 2026",
        "Patient: Ana Ruiz",
        "Please send her MRI of the knee images.",
    ]
    fields = extract_letter_fields(_letter_document(lines))
    assert "exam_date" not in fields


def test_routing_legal_letter() -> None:
    reasons = detect_routing(_letter_document(LAW_LETTER, "other"))
    assert Reason.LEGAL_REQUEST in reasons
    assert Reason.REPORT_ONLY_REQUEST not in reasons


def test_routing_report_only_letter() -> None:
    reasons = detect_routing(_letter_document(REPORT_ONLY_LETTER, "other"))
    assert reasons == [Reason.REPORT_ONLY_REQUEST]


def test_routing_plain_physician_letter() -> None:
    assert detect_routing(_letter_document(LETTER)) == []


def test_routing_form_ignores_printed_legal_words() -> None:
    page = make_text_page(
        ["Relationship to patient or legal authority (power of attorney)"]
    )
    document = Document(Path("form.pdf"), [page], doc_type="release_images")
    assert detect_routing(document) == []


@pytest.mark.parametrize(
    ("purpose", "legal"),
    [
        ("Legal claim", True),
        ("Legal", True),
        ("Fines legales", True),
        ("Personal injury claim", True),
        ("Continuing care", False),
        ("Second opinion", False),
    ],
)
def test_routing_form_purpose(purpose: str, legal: bool) -> None:
    # The recipient's name here has no legal phrase ("LLP" read as "IIP").
    page = make_text_page(["Purpose of disclosure"])
    document = Document(Path("form.pdf"), [page], doc_type="third_party_release")
    document.fields = {
        "purpose": FieldValue(purpose, 0.9),
        "release_to_name": FieldValue("Hartwell, Ames & Delaade IIP", 0.9),
    }
    assert (Reason.LEGAL_REQUEST in detect_routing(document)) is legal


@pytest.mark.parametrize(
    ("recipient", "legal"),
    [
        ("Brishtwaiter Injiry Law, P.C", True),
        ("Baker Law, PC", True),
        ("Hartwell Law PLLC", True),
        ("Lawson Family Clinic", False),
        ("Summit Physical Therapy", False),
    ],
)
def test_routing_form_recipient(recipient: str, legal: bool) -> None:
    page = make_text_page(["Release to"])
    document = Document(Path("form.pdf"), [page], doc_type="third_party_release")
    document.fields = {"release_to_name": FieldValue(recipient, 0.9)}
    assert (Reason.LEGAL_REQUEST in detect_routing(document)) is legal


# Forms rendered with the registered layouts and read by tesseract ----------

FORM_VALUES = {
    "patient_name": "Maria Garcia-Lopez",
    "date_of_birth": "04/09/1971",
    "mrn": "00451273",
    "release_to_name": "Helen Park",
    "release_to_address": "12 Elm Street\nSpringfield, OR 97477",
    "purpose": "Continuing care",
    "expiry_date": "12/31/2026",
    "signature_date": "02/14/2026",
}


def render_form_page(
    form_id: str,
    values: dict[str, str],
    checked: tuple[str, ...] = (),
    signature: bool = True,
    dpi: int = 200,
) -> Page:
    """Render a registered form with typed values, add a pen stroke, OCR it."""
    layout = load_layout(form_id)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page_size, invariant=1)
    draw_layout(canvas, layout)
    draw_typed_values(canvas, layout, values)
    for element_id in checked:
        draw_typed_check(canvas, layout, layout.element(element_id))
    canvas.showPage()
    canvas.save()
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as pdf:
        image = pdf.pages[0].to_image(resolution=dpi).original.convert("L")
    if signature:
        draw_signature(image, layout.signature.box, dpi)  # type: ignore[union-attr]
    language = layout.language
    words = read_words(image, "spa" if language == "es" else "eng", 3, 120)
    return Page(Path(f"{form_id}.pdf"), 1, image, dpi, words, language=language)


def draw_signature(image: Image.Image, box: tuple[float, ...], dpi: int) -> None:
    """Draw a wavy pen stroke above the signature line of a layout box."""
    scale = dpi / 72
    left, bottom = box[0] * scale + 40, box[3] * scale - 10
    points = [(left + i * 4, bottom - 30 - 20 * math.sin(i / 4)) for i in range(90)]
    ImageDraw.Draw(image).line(points, fill=0, width=3)


@pytest.fixture(scope="module")
def third_party_page() -> Page:
    return render_form_page("third_party_release_en", FORM_VALUES, ("info_xray",))


def test_form_fields_through_registered_layout(third_party_page: Page) -> None:
    document = Document(
        Path("form.pdf"), [third_party_page], doc_type="third_party_release"
    )
    fields = extract_fields(document)
    assert fields["date_of_birth"].value == "1971-04-09"
    assert fields["mrn"].value == "00451273"
    assert fields["release_to_name"].value == "Helen Park"
    assert fields["release_to_address"].value == "12 Elm Street, Springfield, OR 97477"
    assert fields["purpose"].value == "Continuing care"
    assert fields["expiry_date"].value == "2026-12-31"
    assert fields["signature_date"].value == "2026-02-14"
    assert normalize_name(fields["patient_name"].value or "") == "maria garcia lopez"


def test_form_fields_by_labels_without_layout(third_party_page: Page) -> None:
    regions = locate_regions(third_party_page, None)
    expected = {
        "date_of_birth": "1971-04-09",
        "mrn": "00451273",
        "release_to_name": "Helen Park",
        "purpose": "Continuing care",
        "expiry_date": "2026-12-31",
        "signature_date": "2026-02-14",
    }
    for role, value in expected.items():
        field = read_field(third_party_page, regions.fields[role], "en")
        assert field is not None, role
        assert field.value == value, role
    assert regions.fields["release_to_address"].source == "label"


def test_form_field_bbox_lies_in_page(third_party_page: Page) -> None:
    document = Document(
        Path("form.pdf"), [third_party_page], doc_type="third_party_release"
    )
    fields = extract_fields(document)
    width, height = third_party_page.image.size
    for name, field in fields.items():
        assert field.page == 1, name
        assert field.bbox is not None, name
        left, top, right, bottom = field.bbox
        assert 0 <= left < right <= width, name
        assert 0 <= top < bottom <= height, name


def test_form_name_gets_initial_tesseract_skipped() -> None:
    values = {**FORM_VALUES, "patient_name": "Oliver L. Greenberg"}
    page = render_form_page("release_images_en", values)
    # Tesseract at times leaves out a handwritten initial between two words.
    first = next(i for i, word in enumerate(page.words) if word.text == "Oliver")
    assert page.words[first + 1].text == "L."
    confident = [
        replace(page.words[first], conf=96.0),
        replace(page.words[first + 2], conf=96.0),
    ]
    words = page.words[:first] + confident + page.words[first + 3 :]
    page = replace(page, words=words)
    document = Document(Path("form.pdf"), [page], doc_type="release_images")

    name = extract_fields(document)["patient_name"]

    assert name.value == "Oliver L. Greenberg"
    assert name.reader == "tesseract"


@pytest.mark.parametrize(
    ("read", "second", "expected"),
    [
        ("Oliver Greenberg", "Oliver L. Greenbera", "Oliver L. Greenberg"),
        ("Ana Ruiz", "Ana M Ruiz", "Ana M. Ruiz"),
        ("Greenberg, Oliver", "Greenberg, Oliver L", None),
        ("Oliver Greenberg", "Oliver Greenberg", None),
        ("Oliver Greenberg", "Olivia Lee Greenberg", None),
        ("Oliver Greenberg", "Oliver L.", None),
        ("Oliver Greenberg", "Oliver Greenberg I.", None),
        ("Oliver Greenberg", "X. Oliver Greenberg", None),
        ("Oliver Greenberg", "Oliver l. Greenberg", None),
        ("Ana Ruiz", "Ana R uiz", None),
        ("Ana Ruiz Gomez", "Ana Ruiz Y Gomez", None),
    ],
)
def test_insert_initials_only_adds_initials(
    read: str, second: str, expected: str | None
) -> None:
    assert _insert_initials(read, second) == expected


def _word(text: str, left: int, right: int) -> Word:
    return Word(text, 90.0, (left, 580, right, 600), (1, 1, 1))


@pytest.mark.parametrize(
    ("words", "kept"),
    [
        (
            [
                _word("Oliver", 331, 428),
                _word("Greenberg", 497, 646),
                _word("X", 900, 915),
            ],
            ["Oliver", "Greenberg"],
        ),
        (
            [_word("I", 200, 206), _word("Oliver Greenberg", 331, 646)],
            ["Oliver Greenberg"],
        ),
        (
            [
                _word("Oliver", 331, 428),
                _word("L.", 447, 473),
                _word("Greenberg", 497, 646),
            ],
            ["Oliver", "L.", "Greenberg"],
        ),
        ([_word("Greenberg,", 331, 480), _word("O", 500, 515)], ["Greenberg,", "O"]),
        ([_word("X", 900, 915)], ["X"]),
    ],
)
def test_stray_letters_beside_name_dropped(words: list[Word], kept: list[str]) -> None:
    assert [word.text for word in _without_stray_letters(words)] == kept


SCORED_FIELDS = (
    "patient_name",
    "date_of_birth",
    "mrn",
    "exam_date",
    "exam_description",
    "release_to_name",
    "release_to_address",
    "physician_name",
    "physician_fax",
)


@pytest.mark.parametrize("name", ["efax-0017.pdf", "image-0072.jpg"])
def test_extract_corpus_fields_match_truth(name: str) -> None:
    from classifiers.split import split_documents
    from tests.test_split import read_corpus_file

    pages, truth = read_corpus_file(name)
    documents = split_documents(pages)
    assert len(documents) == len(truth)
    for document, expected in zip(documents, truth, strict=True):
        fields = extract_fields(document)
        for key in SCORED_FIELDS:
            value = expected["fields"][key]
            if value is None:
                continue
            assert key in fields, (document.page_numbers, key)
            got = fields[key].value or ""
            assert normalize_name(got) == normalize_name(value), (
                document.page_numbers,
                key,
            )


NO_EXAM_LETTER = [
    "Dear Colleague,",
    "Our office is caring for the patient listed below. Please send a copy of all",
    "imaging studies from the past year on CD to our office at the address above,",
    "so that we can review them before the next visit. Thank you for your help.",
    "Patient: Ana Ruiz Soto",
    "DOB: 04/09/1971",
    "Sincerely,",
    "Laura Chen, MD",
]


@pytest.mark.parametrize("label", ["DOR;", "D0B:", "DO8", "IDOB:", "|DOB:"])
def test_letter_birth_date_behind_misread_label(label: str) -> None:
    lines = [line.replace("DOB:", label) for line in NO_EXAM_LETTER]
    document = _letter_document(lines)
    document.pages[0].ocr_confidence = 95.0
    fields = extract_letter_fields(document)
    assert fields["date_of_birth"].value == "1971-04-09"


def test_letter_absent_exam_reported_on_clear_print() -> None:
    document = _letter_document(NO_EXAM_LETTER)
    document.pages[0].ocr_confidence = 95.0
    fields = extract_letter_fields(document)
    assert fields["exam_date"].value is None
    assert fields["exam_description"].value is None
    assert fields["exam_date"].confidence >= 0.8
    assert fields["date_of_birth"].value == "1971-04-09"


@pytest.mark.parametrize(
    ("exam", "specific"),
    [
        ("All recent imaging", False),
        ("Todos sus estudios recientes", False),
        ("MRI left knee", True),
        ("Left knee, two views", True),
    ],
)
def test_letter_generic_exam_is_unsure(exam: str, specific: bool) -> None:
    lines = ["Patient: Ana Ruiz Soto", "DOB: 04/09/1971", f"Exam: {exam}"]
    value = extract_letter_fields(_letter_document(lines))["exam_description"]
    assert value.value == exam
    assert (value.confidence >= MIN_FIELD_CONFIDENCE) is specific


def test_letter_absence_needs_a_read_body() -> None:
    lines = [
        line
        for line in NO_EXAM_LETTER
        if "office" not in line and "so that" not in line
    ]
    document = _letter_document(lines)
    document.pages[0].ocr_confidence = 95.0
    assert "exam_date" not in extract_letter_fields(document)


def test_letter_absence_not_reported_on_poor_ocr() -> None:
    document = _letter_document(NO_EXAM_LETTER)
    document.pages[0].ocr_confidence = 60.0
    assert "exam_date" not in extract_letter_fields(document)


def _form_beside_letter(cover: list[str] | None = None) -> Document:
    """Return a form document whose file also contains the typed LETTER.

    With ``cover``, the file starts with a cover sheet of those lines.
    """
    from classifiers import page_cache
    from classifiers.split import FILE_PAGES_KEY

    pages = [make_text_page(cover, number=1)] if cover else []
    for page in pages:
        page.ocr_confidence = 95.0
    letter = make_text_page(LETTER, number=len(pages) + 1)
    letter.ocr_confidence = 95.0
    form = make_text_page(["AUTHORIZATION TO RELEASE IMAGES"], number=len(pages) + 2)
    pages += [letter, form]
    for page in pages:
        page_cache.cached(page, FILE_PAGES_KEY, lambda _: pages)
    return Document(Path("fax.tif"), [form], doc_type="release_images")


def test_typed_name_corrects_handwritten_reading() -> None:
    from classifiers.extract import match_typed_name

    document = _form_beside_letter()
    close = match_typed_name(document, FieldValue("Ana Ruis Sota", 0.7, 2))
    other = match_typed_name(document, FieldValue("Peter Lang", 0.7, 2))
    assert close.value == "Ana Ruiz Soto"
    assert close.reader == "file_context"
    assert other.value == "Peter Lang"


def test_typed_birth_date_stands_in_for_weak_reading() -> None:
    from classifiers.extract import _typed_birth_date, _typed_patients_elsewhere

    document = _form_beside_letter()
    typed = _typed_patients_elsewhere(document)["Ana Ruiz Soto"]
    assert typed is not None and typed.value == "1971-04-09"

    unread = _typed_birth_date(typed, None)
    weak = _typed_birth_date(typed, FieldValue("1971-04-08", 0.5, 2))
    sure = _typed_birth_date(typed, FieldValue("1971-04-08", 0.9, 2))
    assert unread is not None and unread.value == "1971-04-09"
    assert unread.reader == "file_context"
    assert weak is not None and weak.value == "1971-04-09"
    assert sure is None


def test_typed_birth_date_found_after_cover() -> None:
    from classifiers.extract import _typed_patients_elsewhere

    cover = ["FAX", "To: Image Service Center", "Re: Ana Ruiz Soto", "Pages: 3"]
    document = _form_beside_letter(cover)
    typed = _typed_patients_elsewhere(document)["Ana Ruiz Soto"]

    assert typed is not None
    assert typed.value == "1971-04-09"


def test_visual_rows_join_label_and_value() -> None:
    from classifiers.lines import visual_rows
    from intake.types import Word

    image = Image.new("L", (1700, 2200), 255)
    words = [
        Word("Patient", 95.0, (150, 300, 270, 328), (1, 1, 1)),
        Word("name:", 95.0, (280, 300, 360, 328), (1, 1, 1)),
        Word("Ana", 95.0, (700, 298, 760, 330), (2, 1, 1)),
        Word("Ruiz", 95.0, (770, 298, 840, 330), (2, 1, 1)),
    ]
    page = Page(Path("x.pdf"), 1, image, 200, words)
    rows = visual_rows(page)
    assert [row.text for row in rows] == ["Patient name: Ana Ruiz"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lan Byrne", "Ian Byrne"),
        ("Ana de la Cruz", "Ana de la Cruz"),
        ("Iris", "Iris"),
        ("Susan A, Nguyen", "Susan A. Nguyen"),
        ("Nguyen, A, Susan", "Nguyen, A, Susan"),
    ],
)
def test_repair_ocr_name(raw: str, expected: str) -> None:
    from classifiers.names import repair_ocr_name

    assert repair_ocr_name(raw) == expected


@pytest.mark.parametrize(
    "name", ["Jesús Saldaña Muñoz", "Maximilian Løvland", "Zoë Szymańska"]
)
def test_letter_name_keeps_accented_letters(name: str) -> None:
    # The page is read with the English model, which turns "ñ", "ú", "ø" and
    # "ń" into other letters. So the name line is read again.
    font_path = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf")
    if not font_path.exists():
        pytest.skip(f"{font_path} is absent; install fonts-liberation")
    if "Latin" not in installed_languages():
        pytest.skip("tesseract's Latin model is absent; run make install")
    font = ImageFont.truetype(str(font_path), 30)
    image = Image.new("L", (1700, 700), 255)
    draw = ImageDraw.Draw(image)
    lines = [
        "Dear colleague,",
        f"Patient: {name}",
        "DOB: 04/09/1971",
        "Please send the CT abdomen images from 02/14/2026.",
    ]
    for row, line in enumerate(lines):
        draw.text((150, 150 + row * 60), line, font=font, fill=0)
    words = read_words(image, "eng", 3, 60)
    page = Page(Path("letter.tif"), 1, image, 200, words, language="en")
    document = Document(Path("letter.tif"), [page], doc_type="physician_request")

    found = extract_letter_fields(document)["patient_name"]

    print(
        f"page reading: {' '.join(w.text for w in words[1:5])!r}; kept {found.value!r}"
    )
    assert found.value == name


INSURER_LETTER = [
    "Cascade Mutual Health Plan",
    "March 15, 2026",
    "William Johansson",
    "2606 Foxglove Way",
    "Eugene, OR 97401",
    "Member ID: C415362552",
    "Service: CT angiogram chest",
    "Dear William,",
]


def test_other_letter_names_patient_by_address() -> None:
    fields = extract_letter_fields(_letter_document(INSURER_LETTER, doc_type="other"))
    name = fields["patient_name"]
    assert name.value == "William Johansson"
    assert name.confidence < 0.8


def test_request_letter_ignores_inside_address() -> None:
    lines = ["Image Service Center", "4100 Meridian Parkway", "Fairhaven, OR 97058"]
    lines += INSURER_LETTER[2:5]
    fields = extract_letter_fields(_letter_document(lines))
    assert "patient_name" not in fields


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Patient: Susan A, Nguyen", "Susan A. Nguyen"),
        ("Patient: Nguyen, Susan", "Nguyen, Susan"),
        ("RE: NGUYEN, SUSAN A", "NGUYEN, SUSAN A"),
    ],
)
def test_letter_name_with_a_comma(written: str, expected: str) -> None:
    lines = ["Dear colleague,", written, "DOB: 03/13/1977"]
    fields = extract_letter_fields(_letter_document(lines))
    assert fields["patient_name"].value == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Patlent name: Bo C, Greenberg", "Bo C. Greenberg"),
        ("Patient name: . Sean Greenberg", "Sean Greenberg"),
        ("Pat1ent: * Ana Ruiz", "Ana Ruiz"),
    ],
)
def test_letter_name_behind_ocr_noise(written: str, expected: str) -> None:
    lines = ["Dear colleague,", written, "DOB: 03/13/1977"]
    fields = extract_letter_fields(_letter_document(lines))
    assert fields["patient_name"].value == expected


@pytest.mark.parametrize(
    "printed", ["Recoger en el Centro de", "del Alo y Recoger en el", "How should we"]
)
def test_clean_name_rejects_printed_phrase(printed: str) -> None:
    assert clean_name(printed) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Re; Our client: William L. Szymanska", "Date of birth: 09/10/1961"],
         "William L. Szymanska"),
        (["realizado el 2026-01-19 a mi paciente Iñaki E, Echeverría",
          "Luna, con fecha de nacimiento 26 noviembre 2019."],
         "Iñaki E. Echeverría Luna"),
        (["realizado el 5 de febrero de 2026 mi",
          "a paciente Andrés Saldaña Ruiz, fecha de nacimiento 3 mayo 2022"],
         "Andrés Saldaña Ruiz"),
    ],
)  # fmt: skip
def test_letter_name_in_scrambled_text(lines: list[str], expected: str) -> None:
    fields = extract_letter_fields(_letter_document(lines))
    assert fields["patient_name"].value == expected


def test_letter_mrn_behind_stray_mark() -> None:
    lines = ["Patient: Ana Ruiz", "MRN: * 70286085"]
    fields = extract_letter_fields(_letter_document(lines))
    assert fields["mrn"].value == "70286085"


def test_letter_surname_wrapped_at_particle() -> None:
    lines = [
        "Solicito una copia del estudio realizado el 14 de diciembre de 2025 a mi",
        "paciente María José Hernández",
        "de la Cruz, con fecha de nacimiento 28 de marzo de 1997.",
    ]
    document = _letter_document(lines)
    document.language = "es"
    fields = extract_letter_fields(document)
    assert fields["patient_name"].value == "María José Hernández de la Cruz"


def test_letter_name_stops_at_line_end() -> None:
    lines = ["Please send the images for Sean Greenberg", "CO For review"]
    fields = extract_letter_fields(_letter_document(lines, doc_type="fax_cover"))
    assert fields["patient_name"].value == "Sean Greenberg"


def test_letter_label_one_word_ignored() -> None:
    lines = ["Dear colleague,", "Patient: Nguyen, DOB 03/13/1977"]
    assert "patient_name" not in extract_letter_fields(_letter_document(lines))


def test_letter_birth_label_with_stray_comma() -> None:
    lines = [
        "Estimado personal del Centro de Servicio de Imágenes:",
        "Solicito una copia en CD del estudio Mamografía bilateral realizado el",
        "10 diciembre 2025 a mi paciente Jesús Domínguez Ortega, con fecha,",
        "de nacimiento 7 mayo 1939, en su institución.",
    ]
    document = _letter_document(lines)
    document.language = "es"
    assert extract_letter_fields(document)["date_of_birth"].value == "1939-05-07"


def test_letter_birth_word_blocks_absence_report() -> None:
    lines = [line for line in NO_EXAM_LETTER if not line.startswith("DOB")]
    lines.insert(4, "The patient was born in the spring of that year.")
    document = _letter_document(lines)
    document.pages[0].ocr_confidence = 95.0
    assert "date_of_birth" not in extract_letter_fields(document)
