"""Decode TIFF and other raster image files into pages with Pillow.

Every TIFF frame becomes a page and its Orientation tag is applied. Other
image formats give one page (the first frame of an animated GIF or PNG),
turned as their EXIF Orientation tag specifies. Pixels are made square by
stretching the axis with the lower resolution, so a 204x98 dpi fax page
comes out at 204x204 dpi with twice as many rows.

Known limits:

- Pillow refuses any image over twice ``PIL.Image.MAX_IMAGE_PIXELS`` before
  this module reads its size. That limit is set from ``max_page_pixels`` for
  each file, for the whole process, so Pillow refuses only images over twice
  the setting and this module's own check refuses the rest.
- Pillow already treats a TIFF whose next-IFD offset points back to an IFD
  it has read as ending there; ``max_pages`` stops any other endless chain.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import math
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from intake.errors import (
    CorruptFileError,
    FileTooLargeError,
    TruncatedFileError,
)
from intake.settings import Settings
from intake.types import Page

logger = logging.getLogger(__name__)

_PILLOW_FORMATS = {
    "tiff": "TIFF",
    "png": "PNG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "bmp": "BMP",
    "pnm": "PPM",
}

# Pillow reports damaged input with OSError in most plugins, but tag parsers
# and some decoders raise these other types instead.
_DECODE_ERRORS = (
    OSError,
    ValueError,
    TypeError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
    ZeroDivisionError,
)

_ORIENTATION_TAG = 0x0112
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""The transpose that makes a page upright for each TIFF/EXIF Orientation
value; 1 means the stored image is already upright."""

_STRIP_TAGS = ((273, 279), (324, 325))
"""(offsets, byte counts) tag pairs: StripOffsets/StripByteCounts and
TileOffsets/TileByteCounts."""

ASPECT_TOLERANCE = 0.01
"""Pixel aspect ratios within 1% of square are left alone."""
MAX_ASPECT = 4.0
"""A resolution ratio beyond 4:1 is taken as a bogus tag, not a real
scanner setting (fax normal resolution is about 2:1)."""
MIN_TRUSTED_DPI = 50
MAX_TRUSTED_DPI = 2400
ASSUMED_PAGE_WIDTH_INCHES = 8.5
"""Used to estimate the resolution of an image without a usable dpi tag."""
MIN_ESTIMATED_DPI = 72
MAX_ESTIMATED_DPI = 600


def load_image_pages(
    path: Path, data: bytes, kind: str, settings: Settings
) -> list[Page]:
    """Decode an image file into upright grayscale pages with square pixels.

    Args:
        path: The file, named in errors.
        data: The file's bytes.
        kind: The sniffed format: ``"tiff"``, ``"png"``, ``"jpeg"``,
            ``"gif"``, ``"bmp"`` or ``"pnm"``.
        settings: Supplies ``max_pages`` and ``max_page_pixels``.

    Returns:
        One page per TIFF frame, or a single page for other formats.

    Raises:
        TruncatedFileError: The image data ends early.
        CorruptFileError: Pillow cannot decode the file.
        FileTooLargeError: A page is over ``max_page_pixels`` or a TIFF has
            more than ``max_pages`` frames.
    """
    # Pillow's own limit follows the setting (see "Known limits" above).
    Image.MAX_IMAGE_PIXELS = settings.max_page_pixels
    # Pillow warns about oversized images and damaged tags. The size limit is
    # checked here against settings, and a damaged tag matters only if the
    # decode fails, so warnings are recorded and logged instead of raised.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _translate_pillow_errors(path, data if kind == "tiff" else b""):
            stream = io.BytesIO(data)
            with Image.open(stream, formats=[_PILLOW_FORMATS[kind]]) as image:
                if kind == "tiff":
                    pages = _load_tiff_frames(image, path, len(data), settings)
                else:
                    pages = [_frame_to_page(image, 1, path, settings)]

    for warning in caught:
        logger.debug("Pillow warned while decoding: %s", warning.message)
    return pages


@contextlib.contextmanager
def _translate_pillow_errors(path: Path, tiff: bytes = b"") -> Iterator[None]:
    """Raise Pillow's failures as intake errors.

    Args:
        path: The file, named in errors.
        tiff: A TIFF file's bytes, to tell a cut-off file from a damaged one.
    """
    try:
        yield
    except Image.DecompressionBombError as error:
        raise FileTooLargeError(
            path, f"Pillow rejected the image as a decompression bomb: {error}"
        ) from error
    except UnidentifiedImageError as error:
        if tiff and tiff_ends_early(tiff):
            raise TruncatedFileError(path, "the TIFF data ends early") from error
        raise CorruptFileError(
            path, "the image header is damaged or not the format it claims"
        ) from error
    except _DECODE_ERRORS as error:
        if "truncated" in str(error).lower() or (tiff and tiff_ends_early(tiff)):
            raise TruncatedFileError(
                path, f"the image data ends early ({error})"
            ) from error
        raise CorruptFileError(
            path, f"the image could not be decoded ({type(error).__name__}: {error})"
        ) from error


def _load_tiff_frames(
    image: Image.Image, path: Path, file_size: int, settings: Settings
) -> list[Page]:
    pages: list[Page] = []
    for index in itertools.count():
        try:
            image.seek(index)
        except EOFError:
            break

        number = index + 1
        if number > settings.max_pages:
            raise FileTooLargeError(
                path,
                f"the TIFF has more than {settings.max_pages} pages (INTAKE_MAX_PAGES)",
            )
        data_end = _strip_data_end(image)
        try:
            pages.append(_frame_to_page(image, number, path, settings))
        except _DECODE_ERRORS as error:
            # A fax cut off in transfer keeps a valid header whose strips
            # point past the end of the file. Strip byte counts are checked
            # only after a failed decode, because some writers store wrong
            # counts for data that is complete.
            if data_end > file_size:
                raise TruncatedFileError(
                    path,
                    f"page {number}'s image data runs to byte {data_end}, "
                    f"past the end of the {file_size}-byte file",
                ) from error
            raise
    return pages


def _strip_data_end(image: Image.Image) -> int:
    """Return the byte offset where a TIFF frame's strips or tiles end."""
    tags = image.tag_v2  # type: ignore[attr-defined]
    end = 0
    for offsets_tag, counts_tag in _STRIP_TAGS:
        offsets = tags.get(offsets_tag) or ()
        counts = tags.get(counts_tag) or ()
        for offset, count in zip(offsets, counts):
            end = max(end, int(offset) + int(count))
    return end


def _frame_to_page(
    frame: Image.Image, number: int, path: Path, settings: Settings
) -> Page:
    width, height = frame.size
    _check_pixels(path, number, width, height, settings)
    stated_orientation = _read_orientation(frame) if frame.format == "TIFF" else 1
    # Decode before reading EXIF: reading EXIF from a PNG decodes the image
    # too, and a decode error must surface here, not inside the EXIF lookup.
    frame.load()
    orientation = _read_orientation(frame)
    aspect = _pixel_aspect(frame)
    if stated_orientation in (5, 6, 7, 8) and orientation == 1:
        # Pillow 13 turns a TIFF frame upright while decoding it and drops
        # the tag. The resolution tags still describe the stored axes, which
        # are now swapped.
        aspect = 1.0 / aspect
    dpi = _nominal_dpi(frame)
    gray = to_grayscale(frame)
    gray = _square_pixels(gray, aspect, path, number, settings)
    if dpi is None:
        dpi = _estimate_dpi(gray.width)
    transpose = _TRANSPOSES.get(orientation)
    if transpose is not None:
        gray = gray.transpose(transpose)
    return Page(source=path, number=number, image=gray, dpi=dpi)


def _check_pixels(
    path: Path, number: int, width: int, height: int, settings: Settings
) -> None:
    if width <= 0 or height <= 0:
        raise CorruptFileError(path, f"page {number} has no pixels ({width}x{height})")
    if width * height > settings.max_page_pixels:
        raise FileTooLargeError(
            path,
            f"page {number} would decode to {width}x{height} pixels, over the "
            f"limit of {settings.max_page_pixels} (INTAKE_MAX_PAGE_PIXELS)",
        )


def _read_orientation(frame: Image.Image) -> int:
    if frame.format == "TIFF":
        value = frame.tag_v2.get(_ORIENTATION_TAG, 1)  # type: ignore[attr-defined]
    else:
        try:
            value = frame.getexif().get(_ORIENTATION_TAG, 1)
        except _DECODE_ERRORS:
            # A damaged EXIF block loses the orientation, not the page.
            logger.debug("unreadable EXIF block; orientation taken as upright")
            value = 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _resolution(frame: Image.Image) -> tuple[float, float] | None:
    value = frame.info.get("dpi") or frame.info.get("resolution")
    try:
        x, y = float(value[0]), float(value[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0):
        return None
    return x, y


def _pixel_aspect(frame: Image.Image) -> float:
    """Return horizontal over vertical resolution: 2.08 for a 204x98 fax."""
    resolution = _resolution(frame)
    if resolution is None:
        return 1.0
    aspect = resolution[0] / resolution[1]
    if abs(aspect - 1.0) <= ASPECT_TOLERANCE:
        return 1.0
    if not 1 / MAX_ASPECT <= aspect <= MAX_ASPECT:
        logger.debug("ignoring an implausible resolution ratio of %.2f", aspect)
        return 1.0
    return aspect


def _nominal_dpi(frame: Image.Image) -> int | None:
    """Return the resolution of the squared page, or None if not stated."""
    if "dpi" not in frame.info:
        return None
    resolution = _resolution(frame)
    if resolution is None:
        return None
    dpi = max(resolution)
    if not MIN_TRUSTED_DPI <= dpi <= MAX_TRUSTED_DPI:
        return None
    return round(dpi)


def _estimate_dpi(width: int) -> int:
    estimate = round(width / ASSUMED_PAGE_WIDTH_INCHES)
    return min(MAX_ESTIMATED_DPI, max(MIN_ESTIMATED_DPI, estimate))


def _square_pixels(
    image: Image.Image, aspect: float, path: Path, number: int, settings: Settings
) -> Image.Image:
    if aspect == 1.0:
        return image

    width, height = image.size
    if aspect > 1.0:
        # Rows are farther apart than columns: add rows.
        height = round(height * aspect)
    else:
        width = round(width / aspect)
    _check_pixels(path, number, width, height, settings)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def to_grayscale(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit grayscale ("L"), as a new image.

    Transparent areas become white, as on paper, and 16- and 32-bit
    grayscale is scaled down to 0-255.

    Args:
        image: A decoded image in any mode.

    Returns:
        A new "L" image of the same size.
    """
    mode = image.mode
    if mode in ("1", "L"):
        return image.convert("L")
    if mode == "F" or mode.startswith("I"):
        return _scale_to_8bit(image)

    bands = image.getbands()
    if mode == "P" or "A" in bands or "a" in bands:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("RGB").convert("L")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16"):
        top = 65535.0
    else:
        top = max(255.0, float(values.max(initial=0.0)))
    scaled = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled)


MAX_TIFF_DIRECTORIES = 10_000
"""Directories followed when looking for a cut-off TIFF's end, so a hostile
chain of many small directories stays quick."""
_TIFF_TYPE_CODES = {3: "H", 4: "I"}
"""struct codes of the classic TIFF types that hold offsets: SHORT, LONG."""
_TIFF_DATA_TAGS = {273: 279, 324: 325}
"""Tags of strip and tile offsets, each with the tag of their byte counts."""


def tiff_ends_early(data: bytes) -> bool:
    """Return True when a TIFF's directories or image data reach past its end.

    A transfer cut off partway leaves a file whose last directory, or the
    strips or tiles it points to, lie beyond the last byte. Only classic
    TIFF is read. A BigTIFF, a header that is not TIFF, and a directory
    whose tags are out of order (damage, not a cut) return False.
    """
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        return False
    order = "<" if data[:2] == b"II" else ">"
    if struct.unpack(order + "H", data[2:4])[0] != 42:
        return False
    offset = struct.unpack(order + "I", data[4:8])[0]
    seen: set[int] = set()
    while offset and offset not in seen and len(seen) < MAX_TIFF_DIRECTORIES:
        seen.add(offset)
        if offset + 2 > len(data):
            return True
        count = struct.unpack(order + "H", data[offset : offset + 2])[0]
        end = offset + 2 + 12 * count
        if end + 4 > len(data):
            return True
        entries = {}
        previous = -1
        for start in range(offset + 2, end, 12):
            tag, kind, number = struct.unpack(order + "HHI", data[start : start + 8])
            if tag <= previous:
                # Tags out of order are damage: TIFF requires them ascending.
                return False
            previous = tag
            entries[tag] = (kind, number, data[start + 8 : start + 12])
        for offsets_tag, counts_tag in _TIFF_DATA_TAGS.items():
            if offsets_tag in entries and counts_tag in entries:
                starts = _tiff_values(data, order, *entries[offsets_tag])
                sizes = _tiff_values(data, order, *entries[counts_tag])
                if starts is None or sizes is None:
                    return True
                # Counts that disagree are damage, not a cut.
                if len(starts) == len(sizes) and any(
                    a + b > len(data) for a, b in zip(starts, sizes, strict=True)
                ):
                    return True
        offset = struct.unpack(order + "I", data[end : end + 4])[0]
    return False


def _tiff_values(
    data: bytes, order: str, kind: int, number: int, field: bytes
) -> list[int] | None:
    """Return a TIFF entry's offsets or counts, or None when they lie past the end."""
    code = _TIFF_TYPE_CODES.get(kind)
    if code is None or number == 0:
        return []
    size = struct.calcsize(code)
    if size * number <= 4:
        raw = field[: size * number]
    else:
        start = struct.unpack(order + "I", field)[0]
        if start + size * number > len(data):
            return None
        raw = data[start : start + size * number]
    return list(struct.unpack(f"{order}{number}{code}", raw))
