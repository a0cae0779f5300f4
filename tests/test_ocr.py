"""Tests for ocr.tesseract, ocr.language and ocr.reader, with real tesseract."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfgen import canvas

from intake.errors import OcrError, OcrTimeoutError
from intake.settings import Settings
from ocr.language import detect_language
from ocr.reader import read_file
from ocr.tesseract import first_installed, installed_languages, read_region, read_words

DATA = Path(__file__).parents[2] / "shared" / "data"
CASES = DATA / "cases"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

SPANISH_LINES = [
    "AUTORIZACIÓN PARA LA ENTREGA DE IMÁGENES",
    "Nombre del paciente y fecha de nacimiento",
    "Por medio de la presente autorizo al hospital a entregar",
    "una copia de las imágenes de mis estudios en un disco.",
    "Entiendo que esta autorización vence un año después",
    "de la fecha de mi firma.",
]
ENGLISH_LINES = [
    "AUTHORIZATION TO RELEASE IMAGES",
    "Patient name and date of birth",
    "Please release the imaging studies listed below",
    "to the clinic named on this form.",
]


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent; the shared sample data is not installed")
    return path


def text_image(lines: list[str], size: tuple[int, int] = (1700, 1000)) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = (
        ImageFont.truetype(str(FONT), 36)
        if FONT.exists()
        else ImageFont.load_default(size=36)
    )
    for index, line in enumerate(lines):
        draw.text((100, 100 + index * 70), line, font=font, fill=0)
    return image


def save_fax(path: Path, pages: list[Image.Image]) -> Path:
    bilevel = [page.convert("1") for page in pages]
    bilevel[0].save(
        path,
        format="TIFF",
        save_all=True,
        append_images=bilevel[1:],
        compression="group4",
        dpi=(200, 200),
    )
    return path


# --- tesseract wrapper ----------------------------------------------------


def test_read_words_returns_boxes_and_confidence() -> None:
    image = text_image(ENGLISH_LINES)

    words = read_words(image, "eng", 3, 60)

    texts = [word.text for word in words]
    assert "AUTHORIZATION" in texts
    first = words[texts.index("AUTHORIZATION")]
    assert first.conf > 80
    left, top, right, bottom = first.bbox
    assert 90 <= left < right <= 1700
    assert 90 <= top < bottom <= 160
    assert len({word.line for word in words}) == len(ENGLISH_LINES)


def test_read_region_returns_page_coordinates() -> None:
    image = text_image(ENGLISH_LINES)
    # The third line sits at y 240-280.
    region = (80, 230, 1600, 300)

    words = read_region(image, region, "eng", 7)

    assert [word.text for word in words][:3] == ["Please", "release", "the"]
    for word in words:
        assert word.bbox[1] >= region[1] - 4
        assert word.bbox[3] <= region[3] + 4
        assert word.bbox[0] >= region[0] - 4


def test_read_region_outside_image_is_empty() -> None:
    image = text_image(ENGLISH_LINES)

    assert read_region(image, (5000, 5000, 5100, 5100), "eng", 7) == []


def test_unknown_language_raises_ocr_error() -> None:
    with pytest.raises(OcrError) as caught:
        read_words(text_image(ENGLISH_LINES), "xxx", 3, 60, source=Path("fax.tif"))

    assert "fax.tif" in str(caught.value)
    assert caught.value.__cause__ is not None


def test_first_installed_skips_missing_models() -> None:
    assert {"eng", "spa"} <= installed_languages()
    assert first_installed(("xxx", "spa+xxx", "spa+eng")) == "spa+eng"
    # With none installed, the last is read, so its error names the model.
    assert first_installed(("xxx", "yyy")) == "yyy"


def test_tesseract_timeout_raises_ocr_timeout() -> None:
    image = text_image(ENGLISH_LINES * 8, size=(2550, 3300))

    with pytest.raises(OcrTimeoutError) as caught:
        read_words(image, "eng", 3, 0.01, source=Path("fax.tif"), page_number=2)

    assert "page 2" in str(caught.value)


# --- language -------------------------------------------------------------


def test_detect_language() -> None:
    spanish = " ".join(SPANISH_LINES).split()
    french = [
        "Le",
        "document",
        "est",
        "envoyé",
        "par",
        "le",
        "service",
        "de",
        "radiologie",
        "et",
        "les",
        "images",
        "sont",
    ]

    assert detect_language(" ".join(ENGLISH_LINES).split()) == "en"
    assert detect_language(spanish) == "es"
    assert detect_language(french) == "en"
    assert detect_language(["Nombre:", "María", "de", "la", "Cruz"]) == "en"
    assert detect_language([]) == "en"


# --- reader ---------------------------------------------------------------


def test_read_file_fax_normal_is_readable() -> None:
    path = require(CASES / "fax-normal-resolution" / "fax_normal.tif")

    pages = read_file(path, Settings(workers=1))

    assert len(pages) == 2
    first = pages[0]
    assert first.image.height == round(1078 * 204 / 98)
    assert "AUTHORIZATION TO RELEASE IMAGES" in first.text
    assert "continuation sheet" in pages[1].text
    assert first.ocr_confidence > 80
    assert all(page.language == "en" for page in pages)


def test_read_file_spanish_page(tmp_path: Path) -> None:
    path = save_fax(tmp_path / "es.tif", [text_image(SPANISH_LINES)])

    page = read_file(path, Settings(workers=1))[0]

    assert page.language == "es"
    # Read again with the Spanish model, the accents survive.
    assert "imágenes" in page.text
    assert "AUTORIZACIÓN" in page.text


def test_read_file_sparse_text_layer() -> None:
    path = require(CASES / "pdf-sparse-text-layer" / "sparse_text_layer.pdf")

    pages = read_file(path, Settings(workers=1))

    assert [page.has_text_layer for page in pages] == [False, False, True]
    assert "AUTHORIZATION" in pages[0].text
    assert "AUTHORIZATION" in pages[1].text
    assert pages[2].text.startswith("Cover letter")
    assert all(page.language == "en" for page in pages)


def test_read_file_text_layer_gets_language(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792))
    for index, line in enumerate(SPANISH_LINES):
        pdf.drawString(72, 720 - index * 20, line)
    pdf.showPage()
    pdf.save()
    path = tmp_path / "carta.pdf"
    path.write_bytes(buffer.getvalue())

    page = read_file(path, Settings(workers=1))[0]

    assert page.has_text_layer
    assert page.language == "es"


def test_read_file_two_workers_keep_page_order() -> None:
    path = require(CASES / "fax-mixed-pages" / "mixed_pages.tif")

    pages = read_file(path, Settings(workers=2))

    assert [page.number for page in pages] == [1, 2, 3, 4]
    assert "Page 1 of 4" in pages[0].text
    assert "Page 3 of 4" in pages[2].text
    assert "Page 4 of 4" in pages[3].text


@pytest.mark.parametrize("workers", [1, 2])
def test_read_file_timeout_names_page(tmp_path: Path, workers: int) -> None:
    path = save_fax(tmp_path / "fax.tif", [text_image(ENGLISH_LINES)] * 2)

    with pytest.raises(OcrTimeoutError) as caught:
        read_file(path, Settings(workers=workers, ocr_timeout=0.05))

    message = str(caught.value)
    assert str(path) in message
    assert "page 1" in message
    assert "INTAKE_OCR_TIMEOUT" in message


def test_read_file_blank_page_has_no_words(tmp_path: Path) -> None:
    path = save_fax(tmp_path / "blank.tif", [Image.new("L", (1700, 2200), 255)])

    page = read_file(path, Settings(workers=1))[0]

    assert page.words == []
    assert page.rotation == 0
    assert page.ocr_confidence == 0.0
