"""The one wrapper around RapidOCR, a second reader for handwritten fields.

Tesseract reads print well but handwriting poorly, worst on faxes. RapidOCR
(ONNX detection and recognition models shipped inside its wheel, run by
onnxruntime) reads handwriting-like text better. On a whole page it costs
seconds and close to a gigabyte, so it is only given the crop of one field
whose tesseract reading was weak. The engine is created on first use
(about 5 s to load its models) and kept for the life of the process.

RapidOCR returns text lines, not words. Each line becomes one ``Word``
whose confidence is RapidOCR's score times 100, in page coordinates.
"""

from __future__ import annotations

import logging
import threading
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


class SecondReaderError(RuntimeError):
    """RapidOCR is missing or failed on a crop."""


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
    try:
        result = _get_engine()(np.asarray(padded))
    except SecondReaderError:
        raise
    except Exception as error:  # onnxruntime raises several unrelated types
        raise SecondReaderError(f"RapidOCR failed on a field crop: {error}") from error
    return _to_words(result, left, top, scale)


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
            _engine = RapidOCR(params=ENGINE_PARAMS)
    return _engine


def _to_words(result: Any, left: int, top: int, scale: float) -> list[Word]:
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
        words.append(Word(text.strip(), float(score) * 100, bbox, (0, 0, index)))
    return words


def _clip(bbox: BBox, size: tuple[int, int]) -> BBox:
    width, height = size
    left, top, right, bottom = bbox
    return max(0, left), max(0, top), min(width, right), min(height, bottom)
