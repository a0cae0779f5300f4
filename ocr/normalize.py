"""Normalize a scanned page: remove fax speckle, deskew it and turn it upright.

Conventions recorded on the page:

- ``Page.skew`` is the angle in degrees, counter-clockwise positive, at which
  the text lines ran before deskewing. The image was rotated by ``-skew``.
- ``Page.rotation`` is the clockwise turn (0, 90, 180 or 270) applied after
  deskewing to make the text upright.

Skew and the text-line direction come from projection profiles of the ink
pixels. Which way up the page is comes from OCR: a band of text is read in
each candidate orientation and the page is turned only when one candidate
reads clearly more dictionary-like words than the others. Tesseract's own
orientation detection (OSD) is not used: on 204 dpi fax pages, tesseract
5.3.0 gave orientation confidences of only 4.4 to 11.2, below the
thresholds tools commonly act on.

Known limits:

- Skew is searched within ``MAX_SKEW`` degrees of the text-line direction.
- A page without text (a picture, a blank page) is never turned.
- Pages read from a PDF text layer are returned unchanged, because turning
  the image would move it away from the layer's word boxes.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from intake.settings import DEFAULT_OCR_TIMEOUT
from intake.types import Page, Word
from ocr.tesseract import Deadline, read_words

logger = logging.getLogger(__name__)

MAX_INK_LEVEL = 180
"""Gray levels above this are never ink, so a blank page's scanner noise is
not binarized into text."""
SPECKLE_AREA_AT_200_DPI = 3
"""Ink blobs of at most this many pixels at 200 dpi are fax speckle. A
printed full stop at 10 points is about 3 pixels across (7 pixels in area)
at that resolution, so it survives."""

SKEW_WORK_SIZE = 1200
"""Long side, in pixels, of the reduced image the skew is measured on."""
MAX_SKEW = 15.0
COARSE_STEP = 0.5
FINE_STEP = 0.05
MIN_DESKEW = 0.1
"""Skews smaller than this (degrees) are left alone to avoid resampling."""
MAX_PROFILE_POINTS = 200_000
MIN_INK_POINTS = 50
EDGE_MARGIN = 0.05
"""Share of the width and of the height, at each side, where a solid band of
ink is taken for the shadow of the scanner's lid or the paper's edge."""
VERTICAL_MARGIN = 1.1
"""The vertical text-line profile must be this much sharper than the
horizontal one before a page is taken as sideways."""

ORIENTATION_DPI = 200
"""Resolution the orientation sample is reduced to; OCR at 200 dpi is
accurate enough to tell text from upside-down text and runs quicker."""
ORIENTATION_PSM = 6
"""Tesseract reads the sample as one block; unlike the automatic layout mode
3, mode 6 does not turn vertical text lines on its own."""
BAND_SHARE = 6
"""The orientation sample is the densest sixth of the page's height."""
MIN_BAND_HEIGHT = 300
MIN_WORD_CONFIDENCE = 60.0
MIN_WORD_LENGTH = 3
MIN_CONFIRMING_WORDS = 3
CONFIRM_RATIO = 2.0
"""A turn is made only when its reading has at least ``MIN_CONFIRMING_WORDS``
dictionary-like words and ``CONFIRM_RATIO`` times as many as every other
candidate."""
_TRANSPOSES = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
"""Pillow's transposes are counter-clockwise; these turn clockwise."""
_VOWELS = frozenset("aeiouyáéíóúüàèìòùâêîôûäëïöÿ")
_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»-–—/"
_LETTERS = re.compile(r"^[^\W\d_]+$")


@dataclass(frozen=True)
class SkewEstimate:
    """The direction of a page's text lines."""

    angle: float
    """Counter-clockwise degrees from the nearest axis."""
    vertical: bool
    """True when the lines run top to bottom (the page lies on its side)."""


def normalize_page(page: Page, *, timeout: float = DEFAULT_OCR_TIMEOUT) -> Page:
    """Remove speckle, deskew and turn a scanned page upright.

    Args:
        page: A loaded page. Pages with ``has_text_layer`` are returned as
            they are.
        timeout: Seconds the orientation OCR for this page may take in all.

    Returns:
        A new page with the cleaned image and ``rotation``, ``skew`` and
        ``orientation_uncertain`` set.

    Raises:
        OcrTimeoutError: The orientation OCR ran out of time.
        OcrError: Tesseract failed.
    """
    if page.has_text_layer:
        return page

    deadline = Deadline(timeout)
    image = remove_speckle(page.image, page.dpi)
    estimate = estimate_skew(image)
    skew = 0.0
    if abs(estimate.angle) >= MIN_DESKEW:
        image = deskew(image, estimate.angle)
        skew = round(estimate.angle, 2)
    rotation, uncertain = choose_rotation(
        image, page.dpi, deadline, page.source, page.number
    )
    image = turn(image, rotation)
    logger.debug(
        "page %d: deskewed %.2f degrees, turned %d", page.number, skew, rotation
    )
    return dataclasses.replace(
        page,
        image=image,
        rotation=rotation,
        skew=skew,
        orientation_uncertain=uncertain,
    )


def ink_mask(image: Image.Image) -> np.ndarray:
    """Return a boolean array that is True on dark (ink) pixels.

    The threshold is Otsu's, capped at ``MAX_INK_LEVEL``.
    """
    gray = np.asarray(image, dtype=np.uint8)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # OpenCV puts pixels equal to the threshold in the dark class; on a
    # purely black-and-white page the threshold is 0 itself.
    return gray <= min(otsu, MAX_INK_LEVEL)


def remove_speckle(image: Image.Image, dpi: int) -> Image.Image:
    """Whiten isolated ink blobs too small to be part of text.

    Args:
        image: A grayscale page.
        dpi: The page's resolution, which scales the blob size limit.

    Returns:
        A new image without the specks.
    """
    max_area = max(1, round(SPECKLE_AREA_AT_200_DPI * (dpi / 200) ** 2))
    mask = ink_mask(image).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return image.copy()

    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False  # label 0 is the background
    pixels = np.array(image, dtype=np.uint8)
    pixels[small[labels]] = 255
    logger.debug("removed %d specks", int(small.sum()))
    return Image.fromarray(pixels)


def estimate_skew(image: Image.Image) -> SkewEstimate:
    """Measure the direction of a page's text lines.

    The ink pixels of a reduced copy are projected at angles within
    ``MAX_SKEW`` of the horizontal and of the vertical. Text lines give the
    sharpest projection profile when the projection runs along them.

    Args:
        image: A grayscale page.

    Returns:
        The skew angle and whether the lines are vertical. A page with
        almost no ink gives an angle of 0 and horizontal lines.
    """
    small = _shrink(image, SKEW_WORK_SIZE)
    rows, columns = np.nonzero(_without_edge_shadows(ink_mask(small)))
    if rows.size < MIN_INK_POINTS:
        return SkewEstimate(0.0, vertical=False)

    if rows.size > MAX_PROFILE_POINTS:
        step = rows.size // MAX_PROFILE_POINTS + 1
        rows, columns = rows[::step], columns[::step]
    x = columns.astype(np.float32)
    y = rows.astype(np.float32)

    horizontal_score, horizontal_angle = _search_angle(x, y)
    # Turning the page a quarter turn counter-clockwise maps (x, y) to
    # (y, -x); skew angles are the same in both frames.
    vertical_score, vertical_angle = _search_angle(y, -x)
    if vertical_score > horizontal_score * VERTICAL_MARGIN:
        return SkewEstimate(vertical_angle, vertical=True)
    return SkewEstimate(horizontal_angle, vertical=False)


def _without_edge_shadows(ink: np.ndarray) -> np.ndarray:
    """Clear the rows and columns near the page's sides that are mostly ink.

    A black band down one side of a scan is one long straight line, which
    outweighs all the text lines and made a skewed page read as sideways
    and straight.
    """
    height, width = ink.shape
    cleared = ink.copy()
    edge_columns = max(1, int(width * EDGE_MARGIN))
    edge_rows = max(1, int(height * EDGE_MARGIN))
    solid_columns = ink.mean(axis=0) > 0.5
    solid_rows = ink.mean(axis=1) > 0.5
    for start, stop in ((0, edge_columns), (width - edge_columns, width)):
        cleared[:, start:stop][:, solid_columns[start:stop]] = False
    for start, stop in ((0, edge_rows), (height - edge_rows, height)):
        cleared[start:stop][solid_rows[start:stop]] = False
    return cleared


def _search_angle(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + COARSE_STEP / 2, COARSE_STEP)
    score, angle = max((_profile_sharpness(x, y, a), a) for a in coarse)
    fine = np.arange(
        angle - COARSE_STEP, angle + COARSE_STEP + FINE_STEP / 2, FINE_STEP
    )
    score, angle = max((_profile_sharpness(x, y, a), a) for a in fine)
    return score, float(angle)


def _profile_sharpness(x: np.ndarray, y: np.ndarray, angle: float) -> float:
    # Lines that run at `angle` counter-clockwise rise to the right, so in
    # image coordinates (y down) y + x * tan(angle) is constant along them.
    radians = np.deg2rad(angle)
    offsets = y * np.cos(radians) + x * np.sin(radians)
    bins = np.rint(offsets - offsets.min()).astype(np.int64)
    profile = np.bincount(bins).astype(np.float64)
    return float(np.dot(profile, profile))


def deskew(image: Image.Image, angle: float) -> Image.Image:
    """Rotate a page by ``-angle`` degrees, filling the new corners white."""
    return image.rotate(
        -angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )


def turn(image: Image.Image, rotation: int) -> Image.Image:
    """Turn an image clockwise by 0, 90, 180 or 270 degrees."""
    transpose = _TRANSPOSES.get(rotation % 360)
    return image if transpose is None else image.transpose(transpose)


def choose_rotation(
    image: Image.Image,
    dpi: int,
    deadline: Deadline,
    source: Path,
    page_number: int,
) -> RotationChoice:
    """Decide the clockwise turn that makes a deskewed page upright.

    All four turns are read. The direction of the text lines cannot narrow
    them down: the estimate called an upside-down portrait page vertical
    and a sideways page horizontal, and upside-down print read at 0 can
    still pass for a dozen words.

    Args:
        image: The deskewed page.
        dpi: The page's resolution.
        deadline: The time budget for the OCR calls.
        source: The page's file, named in errors.
        page_number: The page's number, named in errors.

    Returns:
        The turn (0, 90, 180 or 270; 0 when no candidate is clearly better)
        and whether the choice is in doubt.
    """
    sample = _shrink_to_dpi(image, dpi, ORIENTATION_DPI)
    if not ink_mask(sample).any():
        return RotationChoice(0, uncertain=False)

    scores = {
        rotation: _score_rotation(sample, rotation, deadline, source, page_number)
        for rotation in (0, 90, 180, 270)
    }
    return pick_rotation(scores, page_number)


class RotationChoice(NamedTuple):
    """The turn chosen for a page, and whether the choice is in doubt."""

    rotation: int
    uncertain: bool


def pick_rotation(scores: dict[int, int], page_number: int = 0) -> RotationChoice:
    """Return the turn whose reading clearly beats every other, else 0.

    Args:
        scores: Dictionary-like word counts by clockwise turn.
        page_number: Named in the log line when the decision is unsure.

    Returns:
        The winning turn, or 0 when no turn reaches ``MIN_CONFIRMING_WORDS``
        and ``CONFIRM_RATIO`` times every other candidate. The choice is
        uncertain when another turn read more words than upright but not
        enough to be trusted: the page may still lie on its side or upside
        down.
    """
    best = max(scores, key=lambda rotation: (scores[rotation], rotation == 0))
    if best == 0:
        return RotationChoice(0, uncertain=False)

    runner_up = max(score for rotation, score in scores.items() if rotation != best)
    if (
        scores[best] >= MIN_CONFIRMING_WORDS
        and scores[best] >= CONFIRM_RATIO * runner_up
    ):
        return RotationChoice(best, uncertain=False)
    logger.info(
        "page %d: orientation uncertain (%s); kept as it is",
        page_number,
        ", ".join(f"{rotation}: {score}" for rotation, score in sorted(scores.items())),
    )
    return RotationChoice(0, uncertain=True)


def _score_rotation(
    sample: Image.Image,
    rotation: int,
    deadline: Deadline,
    source: Path,
    page_number: int,
) -> int:
    band = _text_band(turn(sample, rotation))
    words = read_words(
        band,
        "eng",
        ORIENTATION_PSM,
        deadline.remaining(source, page_number),
        source=source,
        page_number=page_number,
    )
    return count_dictionary_words(words)


def count_dictionary_words(words: list[Word]) -> int:
    """Count confident words that look like words of a European language.

    A word counts when tesseract is at least ``MIN_WORD_CONFIDENCE`` sure of
    it and, without edge punctuation, it is ``MIN_WORD_LENGTH`` or more
    letters, has a vowel and is lower case, upper case or capitalized. Text
    read upside down mostly fails these tests. A word must also be wider than
    it is tall: tesseract reads the vertical lines of a page lying on its
    side as words, and those must not vote for leaving the page as it is.
    """
    count = 0
    for word in words:
        if word.conf < MIN_WORD_CONFIDENCE:
            continue
        left, top, right, bottom = word.bbox
        if right - left <= bottom - top:
            continue
        text = word.text.strip(_EDGE_PUNCTUATION)
        if len(text) < MIN_WORD_LENGTH or not _LETTERS.match(text):
            continue
        if not _VOWELS.intersection(text.lower()):
            continue
        if text.islower() or text.isupper() or text.istitle():
            count += 1
    return count


def _text_band(image: Image.Image) -> Image.Image:
    """Crop the horizontal band with the most ink transitions (text)."""
    height = image.height
    band_height = max(height // BAND_SHARE, MIN_BAND_HEIGHT)
    if band_height >= height:
        return image

    mask = ink_mask(image)
    transitions = np.count_nonzero(np.diff(mask, axis=1), axis=1)
    totals = np.convolve(transitions, np.ones(band_height, dtype=np.int64), "valid")
    top = int(np.argmax(totals))
    return image.crop((0, top, image.width, top + band_height))


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    factor = long_side / max(image.size)
    if factor >= 1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.BOX)


def _shrink_to_dpi(image: Image.Image, dpi: int, target_dpi: int) -> Image.Image:
    if dpi <= target_dpi * 1.1:
        return image
    factor = target_dpi / dpi
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)
