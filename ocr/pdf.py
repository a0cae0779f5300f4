"""Render PDF pages with pypdfium2 and read their text layer with pdfplumber.

Both libraries open an encrypted PDF whose user password is empty (AES-128,
AES-256, or RC4 with text extraction forbidden) without being asked. A PDF
that needs a real password raises ``EncryptedFileError``.

Each page is decided on its own: a page is read from its text layer only
when that layer contains real text and no image covers most of the page.
Everything else is rendered for OCR, including a scan with a stray
invisible letter on it and a scan under an earlier OCR's text layer.

Known limits:

- A page whose real text sits over a full-page image (a letterhead drawn as
  one picture, or a scanned form with typed fill-ins) is OCR'd, so its
  text-layer words are not used.
- Text-layer words are grouped into lines by their vertical position, which
  suits horizontal text only.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
from PIL import Image

from intake.errors import (
    CorruptFileError,
    EncryptedFileError,
    FileTooLargeError,
    TruncatedFileError,
)
from intake.settings import Settings
from intake.types import Page, Word

logger = logging.getLogger(__name__)

EOF_SEARCH_BYTES = 1024
"""A complete PDF ends with ``%%EOF``; this many trailing bytes (padding,
line ends) may follow it."""

MIN_TEXT_WORDS = 8
MIN_TEXT_CHARACTERS = 40
"""A text page needs ``MIN_TEXT_WORDS`` words holding this many letters and
digits. A short born-digital cover note has about 90; stray letters left on
a scan by a scanner or an earlier OCR have a handful."""
MAX_IMAGE_COVER = 0.5
"""A page with an image over this share of its area is treated as a scan."""
TEXT_LAYER_CONFIDENCE = 100.0
"""The ``Word.conf`` given to words read from a text layer."""

POINTS_PER_INCH = 72


@dataclass(frozen=True)
class _LayerWord:
    """A text-layer word in PDF points from the page's top left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class _TextLayer:
    words: list[_LayerWord]
    width: float
    height: float


def load_pdf_pages(path: Path, data: bytes, settings: Settings) -> list[Page]:
    """Render every page of a PDF and attach usable text layers.

    Args:
        path: The file, named in errors.
        data: The file's bytes.
        settings: Supplies ``ocr_dpi``, ``max_pages`` and ``max_page_pixels``.

    Returns:
        One grayscale page per PDF page at ``settings.ocr_dpi``, turned as
        its /Rotate entry specifies. Text pages carry words and
        ``has_text_layer=True``.

    Raises:
        EncryptedFileError: The PDF needs a password.
        TruncatedFileError: The file does not end with ``%%EOF``.
        CorruptFileError: pdfium cannot open or render the file.
        FileTooLargeError: Too many pages, or a page too large to render.
    """
    if b"%%EOF" not in data[-EOF_SEARCH_BYTES:]:
        raise TruncatedFileError(path, "the PDF does not end with %%EOF")

    document = _open_document(path, data)
    try:
        page_count = len(document)
        if page_count == 0:
            raise CorruptFileError(path, "the PDF has no pages")
        if page_count > settings.max_pages:
            raise FileTooLargeError(
                path,
                f"the PDF has {page_count} pages, over the limit of "
                f"{settings.max_pages} (INTAKE_MAX_PAGES)",
            )
        layers = _read_text_layers(data, page_count)
        pages = []
        for index in range(page_count):
            image = _render_page(document, index, path, settings)
            pages.append(_make_page(path, index + 1, image, layers[index], settings))
    finally:
        document.close()
    return pages


def _open_document(path: Path, data: bytes) -> pdfium.PdfDocument:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY):
            raise EncryptedFileError(
                path, "the PDF is encrypted and needs a password to open"
            ) from error
        raise CorruptFileError(
            path, f"pdfium could not open the PDF ({error})"
        ) from error

    # Form fields are drawn only after the form environment exists. pdfium
    # warns when a PDF carries XFA forms it cannot load; the AcroForm
    # fields still render, so the warning is logged, not raised.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        document.init_forms()
    for warning in caught:
        logger.debug("pdfium warned while loading forms: %s", warning.message)
    return document


def _render_page(
    document: pdfium.PdfDocument, index: int, path: Path, settings: Settings
) -> Image.Image:
    number = index + 1
    scale = settings.ocr_dpi / POINTS_PER_INCH
    try:
        page = document[index]
        width, height = page.get_size()
        pixels = round(width * scale) * round(height * scale)
        if pixels > settings.max_page_pixels:
            raise FileTooLargeError(
                path,
                f"page {number} ({width:.0f}x{height:.0f} pt) would render to "
                f"{pixels} pixels at {settings.ocr_dpi} dpi, over the limit of "
                f"{settings.max_page_pixels} (INTAKE_MAX_PAGE_PIXELS)",
            )
        bitmap = page.render(
            scale=scale,
            grayscale=True,
            may_draw_forms=True,
            fill_color=(255, 255, 255, 255),
        )
        image = bitmap.to_pil().convert("L")
        page.close()
    except pdfium.PdfiumError as error:
        raise CorruptFileError(
            path, f"pdfium could not render page {number} ({error})"
        ) from error
    return image


def _read_text_layers(data: bytes, page_count: int) -> list[_TextLayer | None]:
    """Return each page's usable text layer, or None where it needs OCR."""
    # pdfminer warns about the damage it works around; those warnings are
    # recorded so that running under "warnings as errors" changes nothing.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = _extract_text_layers(data, page_count)
    for warning in caught:
        logger.debug("pdfminer warned while reading text: %s", warning.message)
    return layers


def _extract_text_layers(data: bytes, page_count: int) -> list[_TextLayer | None]:
    layers: list[_TextLayer | None] = [None] * page_count
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) != page_count:
                logger.warning(
                    "pdfplumber found %d pages and pdfium %d; OCR'ing every page",
                    len(pdf.pages),
                    page_count,
                )
                return layers
            for index, plumber_page in enumerate(pdf.pages):
                layers[index] = _read_text_layer(plumber_page)
                plumber_page.close()
    # pdfminer raises many unrelated exception types on damaged PDFs that
    # pdfium still renders. Losing the text layer only costs an OCR pass.
    except Exception as error:  # noqa: BLE001
        logger.warning(
            "reading the text layer failed (%s); OCR'ing every page",
            type(error).__name__,
        )
        return [None] * page_count
    return layers


def _read_text_layer(plumber_page: Any) -> _TextLayer | None:
    # pdfium renders the crop box, so word positions are made relative to it.
    left, top, right, bottom = (float(value) for value in plumber_page.cropbox)
    words = [
        _LayerWord(
            str(word["text"]),
            float(word["x0"]) - left,
            float(word["top"]) - top,
            float(word["x1"]) - left,
            float(word["bottom"]) - top,
        )
        for word in plumber_page.extract_words()
    ]
    width = right - left
    height = bottom - top
    image_cover = _largest_image_cover(plumber_page.images, plumber_page.cropbox)
    if not is_text_page([word.text for word in words], image_cover):
        return None
    return _TextLayer(words, width, height)


def is_text_page(words: list[str], image_cover: float) -> bool:
    """Decide whether a PDF page's text layer can stand in for OCR.

    Args:
        words: The words of the page's text layer.
        image_cover: The share (0-1) of the page that its largest image
            covers.

    Returns:
        True when the layer has real text (``MIN_TEXT_WORDS`` words holding
        ``MIN_TEXT_CHARACTERS`` letters and digits) and no image covers more
        than ``MAX_IMAGE_COVER`` of the page.
    """
    characters = sum(char.isalnum() for word in words for char in word)
    return (
        len(words) >= MIN_TEXT_WORDS
        and characters >= MIN_TEXT_CHARACTERS
        and image_cover <= MAX_IMAGE_COVER
    )


def _largest_image_cover(
    images: list[dict[str, Any]], cropbox: tuple[float, float, float, float]
) -> float:
    left, top, right, bottom = (float(value) for value in cropbox)
    page_area = (right - left) * (bottom - top)
    if page_area <= 0:
        return 0.0

    largest = 0.0
    for image in images:
        width = min(float(image["x1"]), right) - max(float(image["x0"]), left)
        height = min(float(image["bottom"]), bottom) - max(float(image["top"]), top)
        if width > 0 and height > 0:
            largest = max(largest, width * height)
    return largest / page_area


def _make_page(
    path: Path,
    number: int,
    image: Image.Image,
    layer: _TextLayer | None,
    settings: Settings,
) -> Page:
    page = Page(source=path, number=number, image=image, dpi=settings.ocr_dpi)
    if layer is None:
        return page

    page.words = _layer_to_words(
        layer, image.width / layer.width, image.height / layer.height
    )
    page.has_text_layer = True
    page.ocr_confidence = TEXT_LAYER_CONFIDENCE
    return page


def _layer_to_words(layer: _TextLayer, x_scale: float, y_scale: float) -> list[Word]:
    """Scale text-layer words to image pixels and number their lines."""
    ordered = sorted(layer.words, key=lambda word: (word.top, word.x0))
    lines: list[list[_LayerWord]] = []
    for word in ordered:
        if lines and _same_line(lines[-1][0], word):
            lines[-1].append(word)
        else:
            lines.append([word])

    words: list[Word] = []
    for line_number, line in enumerate(lines, start=1):
        for word in sorted(line, key=lambda item: item.x0):
            bbox = (
                round(word.x0 * x_scale),
                round(word.top * y_scale),
                round(word.x1 * x_scale),
                round(word.bottom * y_scale),
            )
            words.append(
                Word(word.text, TEXT_LAYER_CONFIDENCE, bbox, (1, 1, line_number))
            )
    return words


def _same_line(first: _LayerWord, word: _LayerWord) -> bool:
    first_middle = (first.top + first.bottom) / 2
    height = max(first.bottom - first.top, 1.0)
    return abs((word.top + word.bottom) / 2 - first_middle) < height / 2
