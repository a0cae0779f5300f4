"""Find printed text that tesseract's page layout left out, and read it.

Tesseract's full-page mode sometimes drops a whole block while reading the
rest of the page with high confidence. On a generated Spanish letter it
skipped the paragraph that named the patient, and the letter was then
rejected for a missing date of birth. This module looks for wide bands of
ink that no word box covers, reads each as one block, and keeps what reads
as confident print. Handwriting and signatures read with low confidence and
are left alone.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from intake.types import BBox, Word
from ocr.normalize import count_dictionary_words, ink_mask
from ocr.tesseract import Deadline, read_region

log = logging.getLogger(__name__)

BLOCK_PSM = 6
"""Tesseract mode for one uniform block of text."""
WORD_MARGIN = 0.03
"""Inches around each read word that count as covered."""
MIN_WIDTH = 2.0
"""Inches of width an uncovered band needs to be read: a line of print."""
MIN_HEIGHT = 0.08
MIN_INK_SHARE = 0.03
"""Minimum share of an uncovered band that is ink. Frames and rules have less."""
MIN_MEAN_CONFIDENCE = 80.0
MIN_DICTIONARY_WORDS = 4
"""Minimum number of confident, word-like words for a band's reading to be kept."""
MAX_BANDS = 6
"""Maximum number of bands read again on one page, the largest first. Sample
corpus pages had 0 to 3, and one hand-filled form 14. The cap bounds the
extra time."""
BLOCK_OFFSET = 1000
"""Added to tesseract's block numbers of recovered words, so they form lines
of their own in ``Page.text``."""


def uncovered_bands(image: Image.Image, words: list[Word], dpi: int) -> list[BBox]:
    """Return boxes of wide ink bands that no word box covers, top to bottom."""
    ink = ink_mask(image)
    covered = np.zeros_like(ink)
    margin = max(1, round(WORD_MARGIN * dpi))
    for word in words:
        left, top, right, bottom = word.bbox
        covered[
            max(0, top - margin) : bottom + margin,
            max(0, left - margin) : right + margin,
        ] = True
    rest = (ink & ~covered).astype(np.uint8) * 255
    # Join letters into lines and lines into blocks.
    kernel = np.ones((max(1, dpi // 25), max(1, dpi // 6)), np.uint8)
    joined = cv2.dilate(rest, kernel)
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    bands = []
    for index in range(1, count):
        x, y, width, height = (int(value) for value in stats[index, :4])
        if width < MIN_WIDTH * dpi or height < MIN_HEIGHT * dpi:
            continue
        share = np.count_nonzero(rest[y : y + height, x : x + width]) / (width * height)
        if share >= MIN_INK_SHARE:
            bands.append((x, y, x + width, y + height))
    merged = _merge_overlapping(bands)
    largest = sorted(merged, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    return sorted(largest[:MAX_BANDS], key=lambda band: band[1])


def _merge_overlapping(boxes: list[BBox]) -> list[BBox]:
    """Join boxes that overlap into their union, until none overlap."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    merged[i] = (
                        min(a[0], b[0]),
                        min(a[1], b[1]),
                        max(a[2], b[2]),
                        max(a[3], b[3]),
                    )
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def recover_dropped_text(
    image: Image.Image,
    words: list[Word],
    dpi: int,
    language: str,
    deadline: Deadline,
    *,
    source: Path,
    page_number: int | None = None,
) -> list[Word]:
    """Return ``words`` plus the confident print read from uncovered bands.

    Args:
        image: The normalized page.
        words: Tesseract's full-page reading.
        dpi: The page's resolution.
        language: Tesseract language codes for the re-reading.
        deadline: The page's time budget.
        source: The page's file, named in errors.
        page_number: Named in logs and errors.

    Raises:
        OcrTimeoutError: The page's time budget ran out.
        OcrError: Tesseract failed.
    """
    added: list[Word] = []
    for number, band in enumerate(uncovered_bands(image, words, dpi)):
        found = read_region(
            image,
            band,
            language,
            BLOCK_PSM,
            deadline.remaining(source, page_number),
            source=source,
            page_number=page_number,
        )
        new = [word for word in found if not _overlaps_any(word, words + added)]
        if not new:
            continue
        mean = sum(word.conf for word in new) / len(new)
        if (
            mean < MIN_MEAN_CONFIDENCE
            or count_dictionary_words(new) < MIN_DICTIONARY_WORDS
        ):
            continue
        added.extend(_as_block(word, BLOCK_OFFSET + number) for word in new)
    if added:
        log.info(
            "page %s: %d words recovered from dropped blocks", page_number, len(added)
        )
    return words + added


def _overlaps_any(word: Word, words: list[Word]) -> bool:
    """Return True when the word's centre lies in the box of a word read before."""
    x = (word.bbox[0] + word.bbox[2]) / 2
    y = (word.bbox[1] + word.bbox[3]) / 2
    return any(
        other.bbox[0] <= x <= other.bbox[2] and other.bbox[1] <= y <= other.bbox[3]
        for other in words
    )


def _as_block(word: Word, block: int) -> Word:
    return dataclasses.replace(word, line=(block, word.line[1], word.line[2]))
