"""The one wrapper around pytesseract.

Every tesseract call in the project goes through ``read_words`` or
``read_region``. Both return ``Word`` objects and translate pytesseract's
failures into ``OcrError`` or ``OcrTimeoutError``, with the original error
chained, so no caller sees a pytesseract exception.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from functools import cache
from pathlib import Path

import pytesseract
from PIL import Image

from intake.errors import OcrError, OcrTimeoutError
from intake.types import BBox, Word

logger = logging.getLogger(__name__)

# Tesseract 5.3 runs one OpenMP thread per core unless OMP_THREAD_LIMIT is
# set. With a tesseract process per core those threads compete for the
# cores: two tesseracts reading a 2548x3296 scan side by side on a 2-core
# machine took 24 s without the limit and 5.5 s with it. pytesseract starts
# tesseract with os.environ, so setting the variable here covers every call
# made through this module.
os.environ["OMP_THREAD_LIMIT"] = "1"

UNKNOWN_SOURCE = Path("<image>")
"""The path named in errors when the caller does not pass ``source``."""

REGION_PADDING = 4
"""Pixels of margin added around a region, because tesseract misreads
characters that touch the image edge."""


class Deadline:
    """A time budget shared by the tesseract calls made for one page."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self, source: Path, page_number: int | None) -> float:
        """Return the seconds left in the budget.

        Raises:
            OcrTimeoutError: The budget is spent.
        """
        left = self._end - time.monotonic()
        if left <= 0:
            raise OcrTimeoutError(
                source,
                f"OCR of {_describe_page(page_number)} took longer than "
                f"{self.seconds:g} seconds",
            )
        return left


def read_words(
    image: Image.Image,
    lang: str,
    psm: int,
    timeout: float,
    *,
    source: Path = UNKNOWN_SOURCE,
    page_number: int | None = None,
) -> list[Word]:
    """Run tesseract on an image and return its words.

    Args:
        image: The page or region image.
        lang: Tesseract language codes, such as ``"eng"`` or ``"eng+spa"``.
        psm: Tesseract page segmentation mode (3 for a full page, 6 for one
            block of text, 7 for a single line).
        timeout: Seconds tesseract may run; 0 means no limit.
        source: The file the image came from, named in errors.
        page_number: The page the image came from, named in errors.

    Returns:
        The recognized words in tesseract's reading order, with boxes in the
        pixels of ``image``. Words with an empty text are left out.

    Raises:
        OcrTimeoutError: Tesseract ran longer than ``timeout``.
        OcrError: Tesseract is missing, lacks the language, or failed.
    """
    where = _describe_page(page_number)
    try:
        data = pytesseract.image_to_data(
            image,
            lang=lang,
            config=f"--psm {psm}",
            timeout=timeout,
            output_type=pytesseract.Output.DICT,
        )
    except pytesseract.TesseractNotFoundError as error:
        raise OcrError(
            source, f"tesseract was not found while reading {where}"
        ) from error
    except pytesseract.TesseractError as error:
        raise OcrError(
            source, f"tesseract failed on {where} with lang={lang!r}: {error.message}"
        ) from error
    except RuntimeError as error:
        # pytesseract 0.3.13 raises a bare RuntimeError when it kills a
        # tesseract process that outlived its timeout.
        if "timeout" not in str(error).lower():
            raise
        raise OcrTimeoutError(
            source, f"tesseract did not finish {where} within {timeout:g} seconds"
        ) from error

    return _parse_words(data)


def installed_languages() -> frozenset[str]:
    """Return the names of the installed tesseract models, or none without tesseract.

    pytesseract's own list leaves out the script models, whose names are
    capitalized ("Latin"), so tesseract is asked directly. A failed listing
    is not kept, so a later call lists again.
    """
    try:
        return _listed_languages()
    except (OSError, subprocess.SubprocessError):
        return frozenset()


@cache
def _listed_languages() -> frozenset[str]:
    listing = subprocess.run(
        [pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    # The first line names the folder, and each further line names one model
    # ("eng", or "script/Latin" for a model kept in a subfolder).
    return frozenset(line.strip() for line in listing.stdout.splitlines()[1:])


def first_installed(choices: tuple[str, ...]) -> str:
    """Return the first of ``choices`` ("Latin", "spa+eng") whose models are all installed.

    The last choice is returned when none is, so that reading it names the
    missing model in its error.
    """
    installed = installed_languages()
    for lang in choices:
        if all(part in installed for part in lang.split("+")):
            return lang
    return choices[-1]


def read_region(
    image: Image.Image,
    bbox: BBox,
    lang: str,
    psm: int,
    timeout: float = 0,
    *,
    source: Path = UNKNOWN_SOURCE,
    page_number: int | None = None,
) -> list[Word]:
    """Run tesseract on one box of a page image.

    The box is clipped to the image and padded by ``REGION_PADDING`` pixels.

    Args:
        image: The whole page image.
        bbox: The region as (left, top, right, bottom) in page pixels.
        lang: Tesseract language codes.
        psm: Tesseract page segmentation mode (7 suits a single field line).
        timeout: Seconds tesseract may run; 0 means no limit.
        source: The file the image came from, named in errors.
        page_number: The page the image came from, named in errors.

    Returns:
        The words inside the region, with boxes in page pixels. An empty
        list when the box lies outside the image.

    Raises:
        OcrTimeoutError: Tesseract ran longer than ``timeout``.
        OcrError: Tesseract is missing, lacks the language, or failed.
    """
    left = max(0, bbox[0] - REGION_PADDING)
    top = max(0, bbox[1] - REGION_PADDING)
    right = min(image.width, bbox[2] + REGION_PADDING)
    bottom = min(image.height, bbox[3] + REGION_PADDING)
    if right <= left or bottom <= top:
        return []

    crop = image.crop((left, top, right, bottom))
    words = read_words(crop, lang, psm, timeout, source=source, page_number=page_number)
    return [_shift_word(word, left, top) for word in words]


def _parse_words(data: dict[str, list[object]]) -> list[Word]:
    words: list[Word] = []
    for index, raw_text in enumerate(data["text"]):
        text = str(raw_text).strip()
        conf = float(str(data["conf"][index]))
        # Rows for blocks, paragraphs and lines carry conf -1 and no text.
        if not text or conf < 0:
            continue
        left = int(str(data["left"][index]))
        top = int(str(data["top"][index]))
        width = int(str(data["width"][index]))
        height = int(str(data["height"][index]))
        line = (
            int(str(data["block_num"][index])),
            int(str(data["par_num"][index])),
            int(str(data["line_num"][index])),
        )
        words.append(Word(text, conf, (left, top, left + width, top + height), line))
    return words


def _shift_word(word: Word, dx: int, dy: int) -> Word:
    left, top, right, bottom = word.bbox
    return Word(
        word.text, word.conf, (left + dx, top + dy, right + dx, bottom + dy), word.line
    )


def _describe_page(page_number: int | None) -> str:
    return "the image" if page_number is None else f"page {page_number}"
