"""The one wrapper around RapidOCR, a second reader for handwritten fields.

Tesseract reads print well but handwriting poorly, worst on faxes. RapidOCR
(ONNX detection and recognition models shipped inside its wheel, run by
onnxruntime) reads handwriting-like text better. On a whole page it costs
seconds and close to a gigabyte, so it is only given the crop of one field
whose tesseract reading was weak. The engine is created on first use
(about 5 s to load its models) and kept for the life of the process.

RapidOCR returns text lines, not words. Each line becomes one ``Word``
whose confidence is RapidOCR's score times 100, in page coordinates.
``read_crop_lines`` also keeps the recognizer's per-step character
probabilities of each line, so that another spelling of the line can be
scored against the image (``ReadLine.log_likelihood``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from intake.types import BBox, Word

log = logging.getLogger(__name__)

CROP_MARGIN = 6
"""Pixels of white added around a crop; text touching the edge reads worse."""
MIN_CROP_HEIGHT = 32
"""Crops are scaled up to at least this height before reading."""

ENGINE_PARAMS = {
    "Global.log_level": "error",
    "Global.use_cls": False,
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
}
"""RapidOCR 3.10 settings. Its defaults scale a crop's *shorter* side up to
736 px, which turns a 1300x60 field strip into a 16000-pixel-wide image and
took about 2.5 s per field here. Capping the longer side at 960 px read the
same strips in 0.03-0.3 s. Crops are upright, so the angle classifier is
off. One onnxruntime thread keeps to the pipeline's one core per worker.
Its log stays at errors because it warns on every blank field crop."""

_engine: Any = None
_engine_lock = threading.Lock()
_alphabet: dict[str, int] = {}
"""The recognizer's characters by output index; index 0 is the CTC blank."""
_captured = threading.local()


class SecondReaderError(RuntimeError):
    """RapidOCR is missing or failed on a crop."""


@dataclass
class ReadLine:
    """One line RapidOCR read, with what its recognizer saw at each step."""

    word: Word
    probabilities: np.ndarray | None
    """Steps x characters: the recognizer's softmax output for this line
    (None when it could not be captured)."""
    alphabet: Mapping[str, int] = field(default_factory=dict)
    """The recognizer's output index of each character; 0 is the CTC blank."""

    def log_likelihood(self, text: str) -> float | None:
        """Return the natural log of the chance the recognizer gives ``text``.

        This is the CTC probability summed over every alignment of
        ``text`` with the line's steps, so it can compare the reading with
        other spellings. None when the probabilities are missing or
        ``text`` contains a character the recognizer does not know.
        """
        if self.probabilities is None:
            return None
        labels = [self.alphabet.get(char) for char in text]
        known = [label for label in labels if label is not None]
        if len(known) != len(labels):
            return None
        return ctc_log_likelihood(self.probabilities, known)


def ctc_log_likelihood(probabilities: np.ndarray, labels: list[int]) -> float:
    """Return log P(labels | probabilities) under CTC with the blank at index 0.

    This is the forward algorithm over the labels with a blank between and
    around them. At each step the path may repeat a symbol, move to the
    next one, or skip a blank between two different labels.
    """
    log_p = np.log(np.maximum(probabilities, 1e-30))
    extended = np.zeros(2 * len(labels) + 1, dtype=np.int64)
    extended[1::2] = labels
    can_skip = np.zeros(len(extended), dtype=bool)
    can_skip[2:] = (extended[2:] != 0) & (extended[2:] != extended[:-2])
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = log_p[0, 0]
    if len(extended) > 1:
        alpha[1] = log_p[0, extended[1]]
    for step in range(1, log_p.shape[0]):
        stay = alpha
        advance = np.concatenate(([-np.inf], alpha[:-1]))
        skip = np.where(can_skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, advance), skip) + log_p[step, extended]
    if len(extended) == 1:
        return float(alpha[0])
    return float(np.logaddexp(alpha[-1], alpha[-2]))


def read_crop(
    image: Image.Image,
    bbox: BBox,
    polygon: tuple[tuple[int, int], ...] | None = None,
) -> list[Word]:
    """Read the text inside ``bbox`` of a page image with RapidOCR.

    Args:
        image: The page image (any mode).
        bbox: The region to read, in page pixels.
        polygon: If given, everything outside these corners (page pixels)
            is painted white first, so a neighbouring label is not read.

    Returns:
        One ``Word`` per text line found, with boxes in page pixels.

    Raises:
        SecondReaderError: When RapidOCR cannot be loaded or fails.
    """
    return [line.word for line in read_crop_lines(image, bbox, polygon)]


def read_crop_lines(
    image: Image.Image,
    bbox: BBox,
    polygon: tuple[tuple[int, int], ...] | None = None,
) -> list[ReadLine]:
    """Read like ``read_crop`` and keep each line's character probabilities."""
    left, top, right, bottom = _clip(bbox, image.size)
    if right - left < 4 or bottom - top < 4:
        return []
    crop = image.crop((left, top, right, bottom)).convert("RGB")
    if polygon is not None:
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).polygon(
            [(x - left, y - top) for x, y in polygon], fill=255
        )
        crop = Image.composite(crop, Image.new("RGB", crop.size, "white"), mask)
    scale = max(1.0, MIN_CROP_HEIGHT / crop.height)
    if scale > 1.0:
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale)))
    padded = Image.new(
        "RGB", (crop.width + 2 * CROP_MARGIN, crop.height + 2 * CROP_MARGIN), "white"
    )
    padded.paste(crop, (CROP_MARGIN, CROP_MARGIN))
    engine = _get_engine()
    _captured.rows = []
    try:
        result = engine(np.asarray(padded))
    except SecondReaderError:
        raise
    except Exception as error:  # onnxruntime raises several unrelated types
        raise SecondReaderError(f"RapidOCR failed on a field crop: {error}") from error
    rows = dict(_captured.rows)
    _captured.rows = []
    return [
        ReadLine(word, rows.get(raw), _alphabet)
        for word, raw in _to_words(result, left, top, scale)
    ]


def _get_engine() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as error:
                raise SecondReaderError(
                    "rapidocr is not installed; install rapidocr and onnxruntime"
                ) from error
            log.info("loading the RapidOCR models")
            engine = RapidOCR(params=ENGINE_PARAMS)
            _capture_probabilities(engine)
            _engine = engine
    return _engine


class _CapturingDecoder:
    """Stands in for RapidOCR's CTC decoder and keeps each line's input.

    RapidOCR 3 decodes the recognizer's output greedily and drops the
    probabilities. This wrapper records them by decoded text, for the
    calling thread, and then hands the batch to the real decoder.
    """

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.character = decoder.character

    def __call__(self, preds: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        lines, words = self.decoder(preds, *args, **kwargs)
        rows = getattr(_captured, "rows", None)
        if rows is not None:
            for (text, _score), row in zip(lines, preds, strict=False):
                rows.append((text, np.array(row)))
        return lines, words


def _capture_probabilities(engine: Any) -> None:
    """Wrap the recognizer's decoder; leave RapidOCR as it is if it has changed."""
    try:
        recognizer = engine._load_rec_model()
        decoder = recognizer.postprocess_op
        characters = list(decoder.character)
    except AttributeError:
        log.warning("RapidOCR internals changed: name letters are not rescored")
        return
    _alphabet.clear()
    _alphabet.update({char: index for index, char in enumerate(characters) if index})
    recognizer.postprocess_op = _CapturingDecoder(decoder)


def _to_words(
    result: Any, left: int, top: int, scale: float
) -> list[tuple[Word, str]]:
    """Return each line as a page-coordinate ``Word``, with RapidOCR's raw text."""
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    boxes = getattr(result, "boxes", None)
    if boxes is None:
        return []
    words = []
    for index, (text, score, box) in enumerate(zip(texts, scores, boxes, strict=False)):
        if not text.strip():
            continue
        xs = [(point[0] - CROP_MARGIN) / scale + left for point in box]
        ys = [(point[1] - CROP_MARGIN) / scale + top for point in box]
        bbox = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
        word = Word(text.strip(), float(score) * 100, bbox, (0, 0, index))
        words.append((word, text))
    return words


def _clip(bbox: BBox, size: tuple[int, int]) -> BBox:
    width, height = size
    left, top, right, bottom = bbox
    return max(0, left), max(0, top), min(width, right), min(height, bottom)
