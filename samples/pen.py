"""Pen marks on a reportlab canvas: handwriting, signatures, ticks and smudges.

All positions are in PDF points from the top left of the page, like the form
layouts; :class:`Pen` flips y for reportlab. Signatures are random smooth
strokes, never text, so no text layer or font can give them away.

Handwriting uses the handwriting-like fonts of the Debian packages
fonts-dkg-handwriting, fonts-breip, fonts-femkeklaver, fonts-humor-sans,
fonts-dancingscript and fonts-comic-neue. Reportlab embeds the TrueType fonts.
It cannot embed the CFF-based OpenType ones (Dancing Script, Comic Neue), so
Pillow draws their text into a transparent image that is placed on the
page. A font that lacks a glyph of the text is never chosen for it.
"""

from __future__ import annotations

import io
import logging
import math
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

Point = tuple[float, float]
Box = tuple[float, float, float, float]

FONT_FILES = (
    ("HandDkg", "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"),
    ("HandDkgOblique", "/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf"),
    ("HandBreip", "/usr/share/fonts/truetype/breip/Breip.ttf"),
    ("HandHumor", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"),
    ("HandDancing",
     "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf"),
    ("HandComic", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf"),
    ("HandComicLight",
     "/usr/share/fonts/opentype/comic-neue/ComicNeue-Light.otf"),
)
RASTER_SCALE = 4.0
"""Pixels per point for text drawn by Pillow (288 dpi)."""

INKS = {
    "black": (0.06, 0.06, 0.08),
    "blue": (0.07, 0.13, 0.50),
    "blue_black": (0.10, 0.12, 0.28),
}


class FontsMissingError(RuntimeError):
    """None of the handwriting fonts is installed."""


@dataclass(frozen=True)
class HandFont:
    """A handwriting-like font and the characters it can draw."""

    name: str
    path: Path
    raster: bool
    """True when Pillow draws it (OpenType CFF), False when reportlab embeds it."""
    characters: frozenset[int]

    def covers(self, text: str) -> bool:
        """Return whether the font has a glyph for every character of ``text``.

        Spaces and line breaks need no glyph. An address field's text
        contains line breaks, and counting them made every font fail.
        """
        return self.drawn_count(text) == sum(not ch.isspace() for ch in text)

    def drawn_count(self, text: str) -> int:
        """Return how many characters of ``text``, whitespace aside, the font draws."""
        return sum(ord(ch) in self.characters for ch in text if not ch.isspace())


_FONTS: list[HandFont] = []


def hand_fonts() -> list[HandFont]:
    """Return the installed handwriting fonts, registering them once.

    Raises:
        FontsMissingError: when none of ``FONT_FILES`` exists; install the
            Debian packages named in this module's docstring.
    """
    if _FONTS:
        return _FONTS
    for name, filename in FONT_FILES:
        path = Path(filename)
        if not path.is_file():
            logger.warning("handwriting font %s not found at %s", name, path)
            continue
        _FONTS.append(_load_font(name, path))
    if not _FONTS:
        raise FontsMissingError(
            "no handwriting font found; install fonts-dkg-handwriting, "
            "fonts-breip, fonts-femkeklaver and fonts-humor-sans"
        )
    return _FONTS


def _load_font(name: str, path: Path) -> HandFont:
    if path.suffix == ".otf":
        return HandFont(name, path, True, _raster_characters(path))
    font = TTFont(name, str(path))
    pdfmetrics.registerFont(font)
    return HandFont(name, path, False, frozenset(font.face.charToGlyph))


def _raster_characters(path: Path) -> frozenset[int]:
    """Return the Latin characters a font draws, by comparing each glyph with
    the font's placeholder for a missing character (Pillow has no cmap API)."""
    pil_font = ImageFont.truetype(str(path), 40,
                                  layout_engine=ImageFont.Layout.BASIC)
    missing = bytes(pil_font.getmask("\ue000"))
    found = []
    for code in range(33, 0x180):
        if 0x7F <= code < 0xA1:
            continue
        mask = pil_font.getmask(chr(code))
        if mask.getbbox() is not None and bytes(mask) != missing:
            found.append(code)
    return frozenset(found)


def choose_font(rng: random.Random, text: str) -> HandFont:
    """Pick a handwriting font that can draw every character of ``text``.

    When none can, the fonts that draw the most of its characters are used,
    so that as few letters as possible are left out of the page. The truth
    still contains them, so a dropped letter makes the truth unreadable.
    """
    fonts = hand_fonts()
    usable = [font for font in fonts if font.covers(text)]
    if not usable:
        drawn = {font.name: font.drawn_count(text) for font in fonts}
        best = max(drawn.values())
        usable = [font for font in fonts if drawn[font.name] == best]
    return rng.choice(usable)


def _pil_font(font: HandFont, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font.path), round(size * RASTER_SCALE),
                              layout_engine=ImageFont.Layout.BASIC)


class Pen:
    """Draws pen marks in one ink on one page of a reportlab canvas."""

    def __init__(self, canvas: Canvas, page_height: float, rng: random.Random,
                 ink: tuple[float, float, float] = INKS["black"],
                 width: float = 1.0) -> None:
        self.canvas = canvas
        self.page_height = page_height
        self.rng = rng
        self.ink = ink
        self.width = width

    def _y(self, y: float) -> float:
        return self.page_height - y

    def text_width(self, text: str, font: HandFont, size: float) -> float:
        """Return the width in points of ``text`` written in ``font``."""
        if font.raster:
            pil_font = _pil_font(font, size)
            return pil_font.getlength(text) / RASTER_SCALE
        return pdfmetrics.stringWidth(text, font.name, size)

    def write(self, text: str, x: float, baseline: float, font: HandFont,
              size: float, angle: float = 0.0) -> float:
        """Write ``text`` word by word with a wandering baseline.

        Returns:
            The x where the written text ends.
        """
        cursor = x
        space = self.text_width(" ", font, size)
        slope = math.tan(math.radians(angle))
        for word in text.split(" "):
            if not word:
                cursor += space
                continue
            dy = self.rng.uniform(-0.6, 0.6) - (cursor - x) * slope
            self._write_word(word, cursor, baseline + dy, font, size, angle)
            cursor += self.text_width(word, font, size)
            cursor += space * self.rng.uniform(0.8, 1.35)
        return cursor

    def _write_word(self, word: str, x: float, baseline: float, font: HandFont,
                    size: float, angle: float) -> None:
        canvas = self.canvas
        canvas.saveState()
        canvas.translate(x, self._y(baseline))
        canvas.rotate(angle)
        if font.raster:
            self._draw_raster_word(word, font, size)
        else:
            canvas.setFillColorRGB(*self.ink)
            canvas.setFont(font.name, size)
            canvas.drawString(0, 0, word)
        canvas.restoreState()

    def _draw_raster_word(self, word: str, font: HandFont, size: float) -> None:
        pil_font = _pil_font(font, size)
        left, top, right, bottom = pil_font.getbbox(word, anchor="ls")
        width, height = right - left + 4, bottom - top + 4
        coverage = Image.new("L", (width, height), 0)
        ImageDraw.Draw(coverage).text((2 - left, 2 - top), word, font=pil_font,
                                      fill=255, anchor="ls")
        red, green, blue = (round(channel * 255) for channel in self.ink)
        image = Image.new("RGBA", (width, height), (red, green, blue, 0))
        image.putalpha(coverage)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        buffer.seek(0)
        self.canvas.drawImage(
            ImageReader(buffer),
            (left - 2) / RASTER_SCALE,
            -(bottom + 2) / RASTER_SCALE,
            width=width / RASTER_SCALE,
            height=height / RASTER_SCALE,
            mask="auto",
        )

    def stroke(self, points: list[Point], width: float | None = None,
               taper: bool = True) -> None:
        """Draw a smooth pen stroke through ``points`` with varying pressure."""
        if len(points) < 2:
            return
        base = width or self.width
        canvas = self.canvas
        canvas.saveState()
        canvas.setStrokeColorRGB(*self.ink)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        phase = self.rng.uniform(0, math.tau)
        chunk = 4
        for start in range(0, len(points) - 1, chunk):
            part = points[start:start + chunk + 1]
            progress = start / max(len(points) - 1, 1)
            pressure = 0.75 + 0.35 * math.sin(phase + progress * 7.0)
            if taper:
                pressure *= min(1.0, 0.45 + 3 * min(progress, 1 - progress))
            canvas.setLineWidth(max(base * pressure, 0.3))
            path = canvas.beginPath()
            path.moveTo(part[0][0], self._y(part[0][1]))
            for px, py in part[1:]:
                path.lineTo(px, self._y(py))
            canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()

    def signature(self, box: Box) -> Box:
        """Sign inside ``box`` (the signing area above its line).

        Returns:
            The box the signature strokes cover.
        """
        strokes = signature_strokes(self.rng, box)
        for points in strokes:
            self.stroke(points, self.width * self.rng.uniform(0.9, 1.5))
        xs = [x for points in strokes for x, _ in points]
        ys = [y for points in strokes for _, y in points]
        return (min(xs), min(ys), max(xs), max(ys))

    def check(self, box: Box, style: str, offset: Point = (0.0, 0.0)) -> None:
        """Mark a checkbox square with a tick, cross, fill or circle."""
        left, top, right, bottom = box
        dx, dy = offset
        left, right, top, bottom = left + dx, right + dx, top + dy, bottom + dy
        side = right - left
        jitter = self.rng.uniform
        width = self.width * jitter(1.0, 1.6)
        if style == "tick":
            self.stroke(_smooth([
                (left + side * 0.12, top + side * jitter(0.45, 0.6)),
                (left + side * jitter(0.35, 0.45), bottom - side * 0.05),
                (right + side * jitter(0.1, 0.5), top - side * jitter(0.2, 0.6)),
            ], 6), width, taper=False)
        elif style == "cross":
            over = side * jitter(0.0, 0.25)
            self.stroke([(left - over, top - over), (right + over, bottom + over)],
                        width, taper=False)
            self.stroke([(right + over, top - over * 0.5),
                         (left - over * 0.5, bottom + over)], width, taper=False)
        elif style == "fill":
            self._fill_box(left, top, right, bottom)
        else:
            self._circle(left, top, right, bottom, width)

    def _fill_box(self, left: float, top: float, right: float,
                  bottom: float) -> None:
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillColorRGB(*self.ink)
        inset = self.rng.uniform(0.5, 1.5)
        canvas.rect(left + inset, self._y(bottom - inset), right - left - 2 * inset,
                    bottom - top - 2 * inset, stroke=0, fill=1)
        canvas.restoreState()

    def _circle(self, left: float, top: float, right: float, bottom: float,
                width: float) -> None:
        cx, cy = (left + right) / 2, (top + bottom) / 2
        radius = (right - left) * self.rng.uniform(0.8, 1.1)
        start = self.rng.uniform(0, math.tau)
        turn = math.tau * self.rng.uniform(1.05, 1.2)
        points = []
        for step in range(41):
            angle = start + turn * step / 40
            wobble = 1 + 0.08 * math.sin(step * 0.7)
            points.append((cx + math.cos(angle) * radius * 1.25 * wobble,
                           cy + math.sin(angle) * radius * wobble))
        self.stroke(points, width, taper=False)

    def strike(self, x0: float, x1: float, baseline: float, size: float) -> None:
        """Cross out written text between ``x0`` and ``x1`` with one or two lines."""
        middle = baseline - size * 0.3
        for _ in range(self.rng.choice((1, 2))):
            wobble = self.rng.uniform(-1.2, 1.2)
            self.stroke([(x0 - 2, middle + wobble),
                         ((x0 + x1) / 2, middle - wobble * 0.5),
                         (x1 + 2, middle + wobble * 0.3)], self.width * 1.2,
                        taper=False)

    def scribble(self, center: Point, size: float) -> None:
        """Leave a stray pen mark: a dot, a dash or a small loop."""
        cx, cy = center
        kind = self.rng.choice(("dot", "dash", "loop"))
        if kind == "dot":
            self.stroke([(cx, cy), (cx + 0.6, cy + 0.4)], self.width * 2.2,
                        taper=False)
        elif kind == "dash":
            angle = self.rng.uniform(-0.6, 0.6)
            self.stroke([(cx, cy), (cx + size * math.cos(angle),
                                    cy + size * math.sin(angle))])
        else:
            points = [(cx + math.cos(t / 6) * size * 0.4 + t * 0.25,
                       cy + math.sin(t / 6) * size * 0.3) for t in range(40)]
            self.stroke(points)

    def smudge(self, box: Box) -> None:
        """Lay a faint grey blot over ``box``, like a thumb print or coffee."""
        left, top, right, bottom = box
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillColorRGB(0.35, 0.33, 0.3, alpha=self.rng.uniform(0.05, 0.13))
        for _ in range(self.rng.randint(2, 4)):
            w = (right - left) * self.rng.uniform(0.5, 1.0)
            h = (bottom - top) * self.rng.uniform(0.5, 1.0)
            x = self.rng.uniform(left, right - w)
            y = self.rng.uniform(top, bottom - h)
            canvas.ellipse(x, self._y(y + h), x + w, self._y(y), stroke=0, fill=1)
        canvas.restoreState()


def _smooth(points: list[Point], steps: int) -> list[Point]:
    """Return a curve through ``points`` (Catmull-Rom with ``steps`` per span)."""
    padded = [points[0], *points, points[-1]]
    result: list[Point] = []
    for index in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[index - 1:index + 3]
        for step in range(steps):
            t = step / steps
            t2, t3 = t * t, t * t * t
            result.append(tuple(  # type: ignore[arg-type]
                0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t
                       + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                       + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3)
                for k in (0, 1)
            ))
    result.append(points[-1])
    return result


def signature_strokes(rng: random.Random, box: Box) -> list[list[Point]]:
    """Make the strokes of a cursive-looking signature inside ``box``.

    Each stroke is one or more joined loops, one per letter, of random
    height. The whole signature leans to the right, and about half of them
    end with an underline flourish.
    """
    left, top, right, bottom = box
    total_width = (right - left) * rng.uniform(0.35, 0.72)
    height = (bottom - top) * rng.uniform(0.55, 0.9)
    x = left + rng.uniform(4, max(5.0, right - left - total_width - 4))
    baseline = bottom - rng.uniform(1.5, 6)
    slant = rng.uniform(0.1, 0.45)
    parts = rng.choice((1, 2, 2, 3))
    gap = total_width * 0.06
    part_width = (total_width - gap * (parts - 1)) / parts
    strokes = []
    for part in range(parts):
        strokes.append(_cursive_stroke(rng, x, baseline, part_width, height, slant,
                                       capital=part == 0 or rng.random() < 0.6))
        x += part_width + gap
    if rng.random() < 0.45:
        strokes.append(_flourish(rng, left, x, baseline, height))
    return strokes


def _cursive_stroke(rng: random.Random, x0: float, baseline: float, width: float,
                    height: float, slant: float, capital: bool) -> list[Point]:
    """Return one joined-up word: a loop per letter, tall, short or descending.

    The loop of each letter runs from the baseline up to its peak and back,
    and a peak below the baseline makes a descender. Letters meet on the
    baseline, so each letter may have its own height without breaking the
    stroke.
    """
    letters = rng.randint(3, 7)
    heights = [_letter_height(rng) for _ in range(letters)]
    if capital:
        heights[0] = rng.uniform(1.0, 1.25)
    spacing = width / letters
    steps = 16
    points: list[Point] = []
    for letter, scale in enumerate(heights):
        radius = spacing / math.tau * rng.uniform(1.1, 2.2) * min(1.0, abs(scale) + 0.4)
        letter_width = spacing * rng.uniform(0.8, 1.2)
        for step in range(steps + (letter == letters - 1)):
            t = step / steps
            angle = math.pi + math.tau * t
            x = x0 + t * letter_width - radius * math.sin(angle - math.pi)
            lift = (0.5 + 0.5 * math.cos(angle)) * height * scale
            points.append((x + lift * slant, baseline - lift))
        x0 += letter_width
    return points


def _letter_height(rng: random.Random) -> float:
    draw = rng.random()
    if draw < 0.6:
        return rng.uniform(0.28, 0.45)
    if draw < 0.85:
        return rng.uniform(0.75, 1.0)
    return -rng.uniform(0.3, 0.5)


def _flourish(rng: random.Random, left: float, right: float, baseline: float,
              height: float) -> list[Point]:
    start = (right - rng.uniform(0, 8), baseline - height * 0.2)
    middle = ((left + right) / 2, baseline + rng.uniform(1, 4))
    end = (left + rng.uniform(0, 20), baseline + rng.uniform(-1, 3))
    return _smooth([start, middle, end], 12)


