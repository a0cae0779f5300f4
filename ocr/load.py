"""Load a received file into page images.

The format is decided from the file's first bytes, never from its name, so
a PDF saved as ``.tif`` loads as a PDF and desktop litter (``Thumbs.db``,
``desktop.ini``, AppleDouble ``._`` files) is rejected as unsupported.

The whole file is read into memory once and every decoder works on that
copy. A fax server that rewrites the file while it is being read cannot
mix two versions within one load.
"""

from __future__ import annotations

import logging
from pathlib import Path

from intake.errors import EmptyFileError, UnsupportedFormatError
from intake.settings import Settings
from intake.types import Page
from ocr.images import load_image_pages
from ocr.pdf import load_pdf_pages

logger = logging.getLogger(__name__)

PDF_SEARCH_BYTES = 1024
"""PDF readers accept junk before ``%PDF-``; this is how far in it is looked
for."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),  # BigTIFF
    (b"MM\x00+", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)

_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
"""Sizes of the known BMP info headers (BITMAPCOREHEADER to
BITMAPV5HEADER), used to tell a real BMP from text that starts with "BM"."""


def load_pages(path: Path, settings: Settings) -> list[Page]:
    """Decode every page of a received file into a grayscale page image.

    TIFF frames, images and PDF pages all come out as ``Page`` objects with
    square pixels, turned as their Orientation tag or /Rotate entry specifies. PDF pages
    with a usable text layer carry its words and ``has_text_layer=True``;
    all other pages have no words yet.

    Args:
        path: The received file.
        settings: Limits (``max_pages``, ``max_page_pixels``) and the PDF
            rendering resolution (``ocr_dpi``).

    Returns:
        The pages in file order, numbered from 1.

    Raises:
        EmptyFileError: The file has no bytes.
        UnsupportedFormatError: The bytes are not PDF, TIFF, PNG, JPEG, GIF,
            BMP or PNM.
        TruncatedFileError: The file ends before its data does.
        CorruptFileError: The file is damaged.
        EncryptedFileError: The PDF needs a password.
        FileTooLargeError: A page exceeds ``max_page_pixels`` or the file
            has more than ``max_pages`` pages.
        OSError: The file could not be read at all (missing, or no
            permission). That is a fault of the inbox, not of the document.
    """
    data = path.read_bytes()
    if not data:
        raise EmptyFileError(path, "the file is empty (0 bytes)")

    kind = sniff_format(data)
    if kind is None:
        # The bytes themselves stay out of the message: a text file may
        # start with a patient's name.
        raise UnsupportedFormatError(
            path, "the file's first bytes match no supported format"
        )

    logger.debug("loading a %s file of %d bytes", kind, len(data))
    if kind == "pdf":
        pages = load_pdf_pages(path, data, settings)
    else:
        pages = load_image_pages(path, data, kind, settings)
    logger.debug("loaded %d pages", len(pages))
    return pages


def sniff_format(data: bytes) -> str | None:
    """Name the file format from the leading bytes.

    Args:
        data: The file's bytes (at least the first kilobyte).

    Returns:
        One of ``"pdf"``, ``"tiff"``, ``"png"``, ``"jpeg"``, ``"gif"``,
        ``"bmp"`` or ``"pnm"``, or None when no signature matches.
    """
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind

    if b"%PDF-" in data[:PDF_SEARCH_BYTES]:
        return "pdf"
    if _is_bmp(data):
        return "bmp"
    if _is_pnm(data):
        return "pnm"
    return None


def _is_bmp(data: bytes) -> bool:
    if len(data) < 18 or not data.startswith(b"BM"):
        return False
    header_size = int.from_bytes(data[14:18], "little")
    return header_size in _BMP_HEADER_SIZES


def _is_pnm(data: bytes) -> bool:
    # P1-P3 are the plain (ASCII) and P4-P6 the raw bitmap, graymap and
    # pixmap variants; the magic number is followed by whitespace.
    return (
        len(data) > 2
        and data[0:1] == b"P"
        and data[1:2] in b"123456"
        and data[2:3] in b" \t\r\n"
    )
