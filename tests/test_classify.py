"""Tests for the phrase classifier (classifiers.classify, classifiers.nlp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from classifiers.classify import (
    classify_page,
    classify_text,
    confidence_from_scores,
    count_concepts,
)
from classifiers.lines import content_text, is_fax_header, page_lines
from classifiers.nlp import PhraseFinder
from intake.types import Page, Word

PAGE_SIZE = (1700, 2200)
LINE_HEIGHT = 40


def make_text_page(
    lines: list[str], number: int = 1, language: str = "en", top: int = 150
) -> Page:
    """Build a blank-image page whose OCR words are the given lines of text.

    Each word gets a box on a simple grid (one line every 40 pixels,
    letters 18 pixels wide), which is what the text-based stages need.
    """
    words = []
    for row, text in enumerate(lines):
        x = 150
        y = top + row * LINE_HEIGHT
        for token in text.split():
            width = 18 * len(token)
            words.append(Word(token, 95.0, (x, y, x + width, y + 28), (1, 1, row)))
            x += width + 18
    image = Image.new("L", PAGE_SIZE, 255)
    return Page(Path("test.pdf"), number, image, 200, words, language=language)


LETTER = [
    "Northside Family Medicine",
    "120 Oak Street, Springfield, OR 97477  Phone (541) 555-0142  Fax (541) 555-0143",
    "March 2, 2026",
    "Image Service Center, Alder Creek Regional Hospital",
    "Re: Ana Ruiz Soto  DOB: 04/09/1971",
    "Dear Colleague,",
    "My patient, Ana Ruiz Soto, had a CT abdomen and pelvis with contrast on",
    "02/14/2026 at your center. Please send a copy of the images on CD to our",
    "office for her follow-up visit. Thank you for your help.",
    "Sincerely,",
    "Laura Chen, MD",
]

LAW_LETTER = [
    "Hartley & Moss LLP  Attorneys at Law",
    "55 Court Plaza, Suite 900, Portland, OR 97204  Phone (503) 555-0190",
    "March 2, 2026",
    "Re: Our client Ana Ruiz Soto  DOB: 04/09/1971",
    "Dear Records Custodian,",
    "This office represents Ana Ruiz Soto in a personal injury claim. Please send",
    "copies of the images of her CT of the chest dated 01/10/2026 on CD.",
    "Sincerely,",
    "Daniel Moss, Esq.",
]

REPORT_ONLY_LETTER = [
    "Lakeside Internal Medicine",
    "9 Harbor Road, Astoria, OR 97103  Phone (503) 555-0111",
    "Dear Medical Records Department,",
    "Please send the radiology report only for my patient Ana Ruiz Soto,",
    "DOB 04/09/1971, for her MRI of the knee. No images are needed.",
    "Sincerely,",
    "Peter Lang, MD",
]

FAX_COVER = [
    "FAX COVER SHEET",
    "To: Image Service Center",
    "From: Northside Family Medicine",
    "Fax: (541) 555-0101",
    "Date: 03/02/2026",
    "Pages: 4 (including cover)",
    "Re: Image request",
    "CONFIDENTIALITY NOTICE: This fax is intended only for the intended recipient.",
    "If you have received this fax in error, please notify the sender.",
]

RELEASE_FORM = [
    "Alder Creek Regional Hospital",
    "AUTHORIZATION TO RELEASE IMAGES",
    "I request and authorize the Image Service Center to release copies of the",
    "imaging studies listed below. Images are copied to CD or DVD.",
    "Patient name  Date of birth  Medical record no.",
    "IMAGES REQUESTED  Date(s) of exam  Exam description",
    "DELIVERY OF IMAGES  I will pick up the images in person",
    "Mail the images to me at this address:",
    "I may revoke this authorization in writing at any time.",
    "Signature of patient or legal representative  Date",
    "Printed name of legal representative  Relationship to patient or legal authority",
]

THIRD_PARTY_FORM = [
    "AUTHORIZATION TO RELEASE MEDICAL REPORT AND IMAGES TO THIRD PARTIES",
    "Patient name  Date of birth",
    "I authorize the hospital to release the information checked below to:",
    "Name of person or organization  Address",
    "INFORMATION TO BE RELEASED (check all that apply)",
    "Discharge summary  Laboratory results  X-rays/scan reports  Progress notes",
    "Purpose of disclosure",
    "This authorization expires on the date or upon the event written below:",
    "Signature of patient or legal representative  Date",
    "Printed name of legal representative  Authority to act for the patient",
]

SPANISH_FORM = [
    "AUTORIZACIÓN PARA LA ENTREGA DE IMÁGENES",
    "Solicito y autorizo al Centro de Servicio de Imágenes a entregar copias.",
    "Nombre del paciente  Fecha de nacimiento",
    "ENTREGA DE LAS IMÁGENES  Recogeré las imágenes en persona",
    "Envíen las imágenes por correo a esta dirección:",
    "Firma del paciente o representante legal  Fecha",
    "Parentesco con el paciente o autoridad legal",
]

LAB_REPORT = [
    "Valley Laboratory Services",
    "LABORATORY REPORT",
    "Specimen collected 02/01/2026  Reference range  Flag",
    "Hemoglobin 13.2 g/dL  Glucose 96 mg/dL  Cholesterol 182 mg/dL",
    "WBC 6.1  Platelets 250  Sodium 140  Potassium 4.1",
]


def test_classify_physician_letter() -> None:
    result = classify_text("\n".join(LETTER), "en")
    assert result.doc_type == "physician_request"
    assert result.confidence >= 0.9


def test_classify_law_firm_letter_as_other() -> None:
    result = classify_text("\n".join(LAW_LETTER), "en")
    assert result.doc_type == "other"


def test_classify_report_only_letter_as_other() -> None:
    result = classify_text("\n".join(REPORT_ONLY_LETTER), "en")
    assert result.doc_type == "other"


def test_classify_fax_cover() -> None:
    result = classify_text("\n".join(FAX_COVER), "en")
    assert result.doc_type == "fax_cover"
    assert result.confidence >= 0.9


def test_classify_release_images_form() -> None:
    result = classify_text("\n".join(RELEASE_FORM), "en")
    assert result.doc_type == "release_images"
    assert result.confidence >= 0.9


def test_classify_third_party_form() -> None:
    result = classify_text("\n".join(THIRD_PARTY_FORM), "en")
    assert result.doc_type == "third_party_release"
    assert result.confidence >= 0.9


def test_classify_spanish_form() -> None:
    result = classify_text("\n".join(SPANISH_FORM), "es")
    assert result.doc_type == "release_images"


def test_classify_lab_report_as_other() -> None:
    result = classify_text("\n".join(LAB_REPORT), "en")
    assert result.doc_type == "other"


def test_classify_sparse_text_is_unsure() -> None:
    result = classify_text("Thank you", "en")
    assert result.confidence < 0.9


def test_classify_empty_text_is_other_and_unsure() -> None:
    result = classify_text("", "en")
    assert result.doc_type == "other"
    assert result.confidence < 0.9


def test_confidence_grows_with_margin() -> None:
    _, close = confidence_from_scores({"fax_cover": 10.0, "other": 9.0})
    _, clear = confidence_from_scores({"fax_cover": 10.0, "other": 2.0})
    assert close < 0.9
    assert clear > close


def test_power_of_attorney_is_not_legal() -> None:
    counts = count_concepts(
        "Relationship to patient (parent, guardian, power of attorney)"
    )
    assert "legal" not in counts


def test_blank_page_is_other() -> None:
    page = make_text_page([])
    result = classify_page(page)
    assert result.blank
    assert result.doc_type == "other"


def test_phrase_finder_tolerates_ocr_slips() -> None:
    finder = PhraseFinder({"title": ["authorization to release images"]})
    matches = finder.find("AUTHORlZATION TO RELEASE lMAGES")
    assert [m.label for m in matches] == ["title"]


def test_phrase_finder_matches_run_together_words() -> None:
    finder = PhraseFinder({"label": ["patient name"]})
    assert finder.count("Patientname Ana Ruiz") == {"label": 1}


def test_phrase_finder_keeps_short_words_exact() -> None:
    finder = PhraseFinder({"fax": ["fax"]})
    assert finder.count("for the record") == {}


def test_phrase_finder_folds_accents() -> None:
    finder = PhraseFinder({"title": ["autorizacion para la entrega de imagenes"]}, "es")
    assert finder.count("AUTORIZACIÓN PARA LA ENTREGA DE IMÁGENES") == {"title": 1}


def test_fax_header_line_is_dropped() -> None:
    header = "MAR-02-2026 10:32 FROM: NORTHSIDE CLINIC 5415550143 P. 1/3"
    page = make_text_page([header, *LETTER], top=20)
    lines = page_lines(page)
    assert is_fax_header(lines[0], page.image.height)
    assert "FROM" not in content_text(page)


def test_fax_header_rule_keeps_body_lines() -> None:
    page = make_text_page(["Call 541-555-0100 at 10:30 about page 1/2"], top=900)
    lines = page_lines(page)
    assert not is_fax_header(lines[0], page.image.height)


@pytest.mark.parametrize("name", ["image-0040.png", "efax-0016.pdf", "fax-0011.tif"])
def test_classify_corpus_file_confidently(name: str) -> None:
    from classifiers.split import split_documents
    from tests.test_split import read_corpus_file

    pages, truth = read_corpus_file(name)
    (document,) = split_documents(pages)
    assert document.doc_type == truth[0]["doc_type"]
    assert document.confidence >= 0.9


def test_blank_page_with_scanner_edge_shadow_is_blank() -> None:
    page = make_text_page([])
    draw = ImageDraw.Draw(page.image)
    # A dark band along the left edge, 2% of the page's width, as the
    # scanner lid's shadow leaves it: more ink than a blank page may hold.
    draw.rectangle((0, 0, page.image.width // 50, page.image.height), fill=40)
    result = classify_page(page)
    assert result.blank
    assert result.doc_type == "other"


def test_unreadable_inked_page_is_not_blank() -> None:
    page = make_text_page([])
    draw = ImageDraw.Draw(page.image)
    for top in range(200, 2000, 30):
        draw.rectangle((150, top, 1500, top + 12), fill=0)
    result = classify_page(page)
    assert not result.blank
    assert result.confidence < 0.9
