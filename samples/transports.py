"""Transports: turn a clean rendered PDF into what the center receives.

- Fax TIFF: pages are rendered at 200 dpi and resampled to the fax grid
  (1728 pixels across, 196 lines per inch for fine or 98 for normal
  resolution). They are thresholded to 1 bit, stamped with a fax header
  line, speckled and given a few dropped scan lines, then saved as CCITT
  Group 3 or Group 4 through libtiff.
- Scanned PDF: grey or 1-bit page images at 150-300 dpi, on off-white
  paper with noise, skewed by up to 3 degrees, some pages upside down or
  sideways, embedded in a PDF with no text layer.
- Plain image: one page as PNG or JPEG.
- Text PDF: the reportlab output itself, text layer included.

Each writer returns one dict per page describing what was done to it
(resolution, rotation, skew), which goes into the ground truth.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

logger = logging.getLogger(__name__)

FAX_WIDTH = 1728
"""Pixels across an ITU-T T.4 fax line (A4 and Letter)."""
FAX_DPI_X = 204
FAX_FINE_DPI_Y = 196
FAX_NORMAL_DPI_Y = 98
FAX_RENDER_DPI = 200
HEADER_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FALLBACK_HEADER_FONT = "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"

PageInfo = dict[str, Any]


@dataclass(frozen=True)
class FaxHeader:
    """The line a sending fax machine stamps at the top of every page."""

    sender: str
    sender_fax: str
    sent: datetime
    style: int
    """Index of the header layout in ``header_text`` that the machine uses."""


def header_text(header: FaxHeader, page: int, pages: int) -> str:
    """Return the header line of one page."""
    digits = "".join(ch for ch in header.sender_fax if ch.isdigit())
    sent = header.sent
    if header.style == 0:
        stamp = sent.strftime("%b-%d-%Y %H:%M").upper()
        return (f"{stamp}  FROM:{header.sender.upper()[:24]}  {digits}  "
                f"P.{page:03d}/{pages:03d}")
    if header.style == 1:
        return (f"{sent.strftime('%m/%d/%Y %H:%M')}  {header.sender[:30]}  "
                f"{header.sender_fax}  P. {page}/{pages}")
    hour = sent.strftime("%I:%M%p").lstrip("0")
    return (f"{sent.strftime('%b %d %Y')} {hour}  From: {header.sender_fax}  "
            f"To: 15415550101  Page {page} of {pages}")


def rasterize(pdf: bytes, dpi: float) -> list[Image.Image]:
    """Render every page of a PDF to a greyscale image at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            images.append(bitmap.to_pil().convert("L"))
            page.close()
        return images
    finally:
        document.close()


def _numpy_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(64))


# ---------------------------------------------------------------- fax


def write_fax(pdf: bytes, path: Path, rng: random.Random, compression: str,
              fine: bool, header: FaxHeader) -> list[PageInfo]:
    """Write a multi-page fax TIFF.

    Args:
        compression: "group3" or "group4" (CCITT T.4 / T.6).
        fine: True for 204x196 dpi, False for 204x98 (normal resolution,
            each pixel twice as tall as wide).
    """
    pages = rasterize(pdf, FAX_RENDER_DPI)
    noise = _numpy_rng(rng)
    frames: list[Image.Image] = []
    infos: list[PageInfo] = []
    for number, page in enumerate(pages, start=1):
        skew = rng.uniform(-0.8, 0.8) if rng.random() < 0.5 else 0.0
        if skew:
            page = page.rotate(skew, resample=Image.Resampling.BICUBIC,
                               fillcolor=255)
        height = round(page.height / FAX_RENDER_DPI * FAX_FINE_DPI_Y)
        page = page.resize((FAX_WIDTH, height), Image.Resampling.BILINEAR)
        _stamp_header(page, header_text(header, number, len(pages)))
        bits = _fax_threshold(page, rng)
        _fax_damage(bits, rng, noise)
        if not fine:
            bits = bits[::2]
        frames.append(Image.fromarray(~bits).convert("1"))
        infos.append({"page": number, "dpi": [FAX_DPI_X, FAX_FINE_DPI_Y if fine
                                              else FAX_NORMAL_DPI_Y],
                      "turned": 0, "skew": round(skew, 2), "mode": "1"})
    dpi = (FAX_DPI_X, FAX_FINE_DPI_Y if fine else FAX_NORMAL_DPI_Y)
    frames[0].save(path, format="TIFF", compression=compression, dpi=dpi,
                   save_all=True, append_images=frames[1:])
    return infos


def _stamp_header(page: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, page.width, 30), fill=255)
    try:
        font = ImageFont.truetype(HEADER_FONT, 21)
    except OSError:
        font = ImageFont.truetype(FALLBACK_HEADER_FONT, 21)
    draw.text((24, 5), text, font=font, fill=0)


def _fax_threshold(page: Image.Image, rng: random.Random) -> np.ndarray:
    """Return a boolean array, True where the fax prints black."""
    if rng.random() < 0.1:
        # "Photo" mode: error diffusion turns grey areas into dot patterns.
        dithered = page.convert("1", dither=Image.Dither.FLOYDSTEINBERG)
        return ~np.asarray(dithered, dtype=bool)
    level = rng.uniform(135, 185)
    return np.asarray(page, dtype=np.uint8) < level


def _fax_damage(bits: np.ndarray, rng: random.Random,
                noise: np.random.Generator) -> None:
    """Add speckle, dropped scan lines and sometimes a streak, in place."""
    height, width = bits.shape
    density = rng.uniform(2e-5, 2.5e-4)
    count = int(height * width * density)
    ys = noise.integers(0, height - 1, count)
    xs = noise.integers(0, width - 1, count)
    bits[ys, xs] = True
    clusters = count // 6
    bits[ys[:clusters] + 1, xs[:clusters]] = True
    bits[ys[:clusters], xs[:clusters] + 1] = True
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        row = rng.randrange(40, height - 2)
        if rng.random() < 0.5:
            bits[row] = False
        else:
            bits[row] = bits[row - 1]
    if rng.random() < 0.12:
        column = rng.randrange(80, width - 80)
        start = rng.randrange(0, height // 2)
        bits[start:start + rng.randrange(200, height // 2), column:column + 2] = True


# ---------------------------------------------------------------- scans


def write_scan(pdf: bytes, path: Path, rng: random.Random, dpi: int, mode: str,
               scanned: datetime) -> list[PageInfo]:
    """Write a scanned PDF: page images only, no text layer.

    Args:
        dpi: Scan resolution (150-300).
        mode: "L" for greyscale (JPEG in the PDF) or "1" for bitonal (CCITT
            Group 4 in the PDF, as Pillow writes it with libtiff).
        scanned: Time written as the PDF's creation date.
    """
    noise = _numpy_rng(rng)
    images, infos = [], []
    for number, page in enumerate(rasterize(pdf, dpi), start=1):
        image, info = _scan_page(page, rng, noise, mode)
        info.update({"page": number, "dpi": [dpi, dpi], "mode": mode})
        images.append(image)
        infos.append(info)
    stamp = time.struct_time(scanned.timetuple())
    # Pillow stores grey pages as JPEG and 1-bit pages as CCITT Group 4; only
    # the JPEG encoder accepts a quality setting.
    quality = {"quality": rng.randint(40, 60)} if mode == "L" else {}
    images[0].save(path, format="PDF", save_all=True, append_images=images[1:],
                   resolution=float(dpi), title=None, creationDate=stamp,
                   modDate=stamp, producer="ScanStation PDF 3.2", **quality)
    return infos


def _scan_page(page: Image.Image, rng: random.Random, noise: np.random.Generator,
               mode: str, grain: bool = True) -> tuple[Image.Image, PageInfo]:
    """Make one rendered page look scanned.

    Args:
        grain: False to leave out the per-pixel sensor noise, which no
            lossless format can compress.
    """
    paper = rng.uniform(232, 250)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    skew = rng.uniform(-3.0, 3.0) if rng.random() < 0.85 else 0.0
    page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    pixels = np.asarray(page, dtype=np.float32) * (paper / 255.0)
    width = pixels.shape[1]
    shade = np.linspace(rng.uniform(-6, 6), rng.uniform(-6, 6), width)
    pixels += shade[np.newaxis, :]
    if grain:
        pixels += noise.normal(0, rng.uniform(1.0, 3.5), pixels.shape)
    if rng.random() < 0.2:
        edge = rng.randrange(8, 30)
        pixels[:, :edge] = rng.uniform(30, 90)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if mode == "1":
        level = rng.uniform(140, 175)
        image = image.point(lambda value: 255 if value > level else 0).convert("1")
    turned = rng.choices((0, 180, 90, 270), (86, 6, 4, 4))[0]
    if turned:
        image = image.rotate(-turned, expand=True)
    return image, {"turned": turned, "skew": round(skew, 2)}


# ---------------------------------------------------------------- images


def write_image(pdf: bytes, path: Path, rng: random.Random,
                dpi: int) -> list[PageInfo]:
    """Write the first page as a PNG (grey or 1-bit) or JPEG (grey or colour)."""
    noise = _numpy_rng(rng)
    page = rasterize(pdf, dpi)[0]
    jpeg = path.suffix == ".jpg"
    mode = "L" if jpeg or rng.random() < 0.4 else "1"
    image, info = _scan_page(page, rng, noise, mode, grain=jpeg or mode == "1")
    if path.suffix == ".jpg":
        if rng.random() < 0.5:
            tint = (rng.uniform(1.0, 1.03), rng.uniform(0.97, 1.0),
                    rng.uniform(0.88, 0.95))
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32) * tint
            image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
        image.save(path, format="JPEG", quality=rng.randint(60, 85),
                   dpi=(dpi, dpi))
    else:
        image.save(path, format="PNG", dpi=(dpi, dpi), optimize=False)
    info.update({"page": 1, "dpi": [dpi, dpi], "mode": image.mode})
    return [info]


def write_text_pdf(pdf: bytes, path: Path) -> list[PageInfo]:
    """Write the reportlab PDF as is, text layer included."""
    path.write_bytes(pdf)
    document = pdfium.PdfDocument(pdf)
    count = len(document)
    document.close()
    return [{"page": number, "dpi": None, "turned": 0, "skew": 0.0,
             "mode": "vector"} for number in range(1, count + 1)]
