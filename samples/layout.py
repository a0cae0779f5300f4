"""Page layout for typed documents: letterheads, text blocks and pagination.

Letters, cover sheets and lab reports are built as a list of blocks (a
paragraph, a gap, a table row, a signature), each with a height, and then
split over pages. Positions are PDF points from the top left of a US Letter
page, as in the form layouts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import getAscentDescent
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from intake.forms import wrap_text
from samples.pen import INKS, Pen
from samples.people import Practice

PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0
MARGIN = 72.0
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN

BlockDrawer = Callable[[Canvas, float], None]
"""Draws a block whose top edge is at the given y (points from the top)."""
PageDecorator = Callable[[Canvas, int], float]
"""Draws a page's fixed parts (letterhead) and returns where the body starts."""


@dataclass
class Block:
    """A piece of a typed document with a known height."""

    height: float
    draw: BlockDrawer
    keep_with_next: bool = False


LIBERATION = Path("/usr/share/fonts/truetype/liberation")
STANDARD_TWINS = {
    "Helvetica": "LiberationSans-Regular",
    "Helvetica-Bold": "LiberationSans-Bold",
    "Helvetica-Oblique": "LiberationSans-Italic",
    "Helvetica-BoldOblique": "LiberationSans-BoldItalic",
    "Times-Roman": "LiberationSerif-Regular",
    "Times-Bold": "LiberationSerif-Bold",
    "Times-Italic": "LiberationSerif-Italic",
    "Times-BoldItalic": "LiberationSerif-BoldItalic",
    "Courier": "LiberationMono-Regular",
    "Courier-Bold": "LiberationMono-Bold",
    "Courier-Oblique": "LiberationMono-Italic",
    "Courier-BoldOblique": "LiberationMono-BoldItalic",
}
"""The Liberation font with nearly the same letter widths as each PDF standard font."""


class SampleCanvas(Canvas):
    """A canvas that draws every letter of a name, such as the "ń" of Szymańska.

    reportlab draws the PDF standard fonts (Helvetica, Times, Courier) in
    the WinAnsi encoding, which lacks "ń", so that letter came out as a
    black box no reader could read. A string with a letter outside that
    encoding is drawn in the embedded Liberation font of nearly the same widths.
    Every other string is drawn as before.
    """

    def drawString(self, x: float, y: float, text: str, *args, **kwargs):
        with self._font_for(text):
            super().drawString(x, y, text, *args, **kwargs)

    def drawRightString(self, x: float, y: float, text: str, *args, **kwargs):
        with self._font_for(text):
            super().drawRightString(x, y, text, *args, **kwargs)

    def drawCentredString(self, x: float, y: float, text: str, *args, **kwargs):
        with self._font_for(text):
            super().drawCentredString(x, y, text, *args, **kwargs)

    @contextmanager
    def _font_for(self, text: str) -> Iterator[None]:
        twin = STANDARD_TWINS.get(self._fontname)
        if twin is None or _in_winansi(text):
            yield
            return
        font, size, leading = self._fontname, self._fontsize, self._leading
        self.setFont(_embedded(twin), size, leading)
        try:
            yield
        finally:
            self.setFont(font, size, leading)


def _in_winansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _embedded(twin: str) -> str:
    """Register the Liberation font ``twin`` with reportlab and return its name."""
    pdfmetrics.registerFont(TTFont(twin, str(LIBERATION / f"{twin}.ttf")))
    return twin


def flip(y: float) -> float:
    """Turn a top-left y into reportlab's bottom-left y."""
    return PAGE_HEIGHT - y


def text_block(text: str, font: str = "Times-Roman", size: float = 11.0,
               left: float = MARGIN, width: float = BODY_WIDTH,
               leading: float = 1.3, align: str = "left",
               keep_with_next: bool = False) -> Block:
    """Return a block of wrapped text; a newline in ``text`` starts a new line."""
    lines = wrap_text(text, font, size, width)
    ascent, _ = getAscentDescent(font, size)
    step = size * leading

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFont(font, size)
        canvas.setFillGray(0)
        for index, line in enumerate(lines):
            baseline = flip(top + ascent + index * step)
            if align == "center":
                canvas.drawCentredString(left + width / 2, baseline, line)
            elif align == "right":
                canvas.drawRightString(left + width, baseline, line)
            else:
                canvas.drawString(left, baseline, line)

    return Block(step * len(lines), draw, keep_with_next)


def gap(height: float) -> Block:
    """Return an empty block ``height`` points tall."""
    return Block(height, lambda canvas, top: None)


def signature_block(rng: random.Random, lines: list[str], signed: bool = True,
                    left: float = MARGIN, font: str = "Times-Roman",
                    size: float = 11.0) -> Block:
    """Return a pen signature with the typed name and title lines under it."""
    seed = rng.getrandbits(64)
    ink = INKS[rng.choice(("black", "blue", "blue_black"))]
    pen_width = rng.uniform(0.8, 1.4)
    step = size * 1.25
    height = 44 + step * len(lines)

    def draw(canvas: Canvas, top: float) -> None:
        if signed:
            pen = Pen(canvas, PAGE_HEIGHT, random.Random(seed), ink, pen_width)
            pen.signature((left, top, left + 190, top + 40))
        canvas.setFont(font, size)
        canvas.setFillGray(0)
        for index, line in enumerate(lines):
            canvas.drawString(left, flip(top + 44 + size + index * step), line)

    return Block(height, draw)


def paginate(blocks: list[Block], decorate: PageDecorator,
             bottom: float = PAGE_HEIGHT - 60) -> list[Callable[[Canvas], None]]:
    """Split blocks over pages and return one drawer per page.

    ``decorate`` draws each page's fixed parts; its return value is where
    the first block of that page starts. Blocks marked ``keep_with_next``
    move to the next page together with the block after them.
    """
    probe = _MeasuringCanvas()
    pages: list[list[tuple[Block, float]]] = [[]]
    y = decorate(probe, 1)  # type: ignore[arg-type]
    index = 0
    while index < len(blocks):
        group = [blocks[index]]
        while group[-1].keep_with_next and index + len(group) < len(blocks):
            group.append(blocks[index + len(group)])
        height = sum(block.height for block in group)
        if y + height > bottom and pages[-1]:
            pages.append([])
            y = decorate(probe, len(pages))  # type: ignore[arg-type]
        for block in group:
            pages[-1].append((block, y))
            y += block.height
        index += len(group)
    return [_page_drawer(decorate, number + 1, placed)
            for number, placed in enumerate(pages)]


def _page_drawer(decorate: PageDecorator, number: int,
                 placed: list[tuple[Block, float]]) -> Callable[[Canvas], None]:
    def draw(canvas: Canvas) -> None:
        decorate(canvas, number)
        for block, top in placed:
            block.draw(canvas, top)

    return draw


class _MeasuringCanvas:
    """A stand-in canvas that ignores drawing, so decorators can be measured."""

    def __getattr__(self, name: str) -> Callable[..., object]:
        return _ignore


def _ignore(*args: object, **kwargs: object) -> object:
    return _MeasuringPath()


class _MeasuringPath:
    def __getattr__(self, name: str) -> Callable[..., object]:
        return _ignore


def draw_letterhead(canvas: Canvas, practice: Practice, page: int) -> float:
    """Draw a practice's letterhead and return where the letter body starts.

    Pages after the first get a one-line running head instead.
    """
    style = practice.style
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    if page > 1:
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(MARGIN, flip(50), f"{practice.name}  -  page {page}")
        canvas.restoreState()
        return 80.0
    align = style.get("align", "left")
    if align == "sidebar":
        top = _sidebar_letterhead(canvas, practice)
    elif style.get("rule") == "banner":
        top = _banner_letterhead(canvas, practice)
    else:
        top = _plain_letterhead(canvas, practice, align)
    canvas.restoreState()
    return top


def _contact_lines(practice: Practice) -> list[str]:
    return [", ".join(practice.address),
            f"Tel {practice.phone}   Fax {practice.fax}"]


def _plain_letterhead(canvas: Canvas, practice: Practice, align: str) -> float:
    style = practice.style
    font = style.get("font", "Helvetica-Bold")
    logo = style.get("logo", "none")
    logo_size = 46.0 if logo != "none" else 0.0
    name_size = 17.0 if len(practice.name) < 28 else 15.0

    if align == "center":
        if logo_size:
            draw_logo(canvas, logo, PAGE_WIDTH / 2 - 20, 34, 40, practice)
        y = 34 + (48 if logo_size else 0)
        x, draw = PAGE_WIDTH / 2, canvas.drawCentredString
    elif align == "right":
        if logo_size:
            draw_logo(canvas, logo, MARGIN, 36, logo_size, practice)
        y = 36.0
        x, draw = PAGE_WIDTH - MARGIN, canvas.drawRightString
    else:
        if logo_size:
            draw_logo(canvas, logo, MARGIN, 36, logo_size, practice)
        y = 36.0
        x, draw = MARGIN + (logo_size + 12 if logo_size else 0), canvas.drawString

    canvas.setFont(font, name_size)
    draw(x, flip(y + name_size), practice.name)
    y += name_size + 4
    if practice.specialty:
        canvas.setFont("Helvetica-Oblique", 9)
        draw(x, flip(y + 9), practice.specialty)
        y += 12

    if style.get("contact") == "block_right":
        _contact_block_right(canvas, practice)
    else:
        canvas.setFont("Helvetica", 8.5)
        for line in _contact_lines(practice):
            draw(x, flip(y + 9), line)
            y += 11

    y = max(y, 36 + logo_size) + 8
    return _draw_rule(canvas, style.get("rule", "single"), y)


def _contact_block_right(canvas: Canvas, practice: Practice) -> None:
    canvas.setFont("Helvetica", 8.5)
    lines = [*practice.address, f"Phone: {practice.phone}", f"Fax: {practice.fax}"]
    for index, line in enumerate(lines):
        canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(44 + index * 11), line)


def _draw_rule(canvas: Canvas, rule: str, y: float) -> float:
    if rule == "double":
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, flip(y), PAGE_WIDTH - MARGIN, flip(y))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, flip(y + 3), PAGE_WIDTH - MARGIN, flip(y + 3))
        y += 3
    elif rule == "thick":
        canvas.setLineWidth(3)
        canvas.line(MARGIN, flip(y), PAGE_WIDTH - MARGIN, flip(y))
    elif rule == "bar":
        canvas.setFillGray(0.55)
        canvas.rect(MARGIN, flip(y + 4), PAGE_WIDTH - 2 * MARGIN, 4, stroke=0,
                    fill=1)
        canvas.setFillGray(0)
        y += 4
    elif rule == "single":
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, flip(y), PAGE_WIDTH - MARGIN, flip(y))
    return y + 26


def _banner_letterhead(canvas: Canvas, practice: Practice) -> float:
    canvas.setFillGray(0.2)
    canvas.rect(0, flip(96), PAGE_WIDTH, 66, stroke=0, fill=1)
    canvas.setFillGray(1)
    canvas.setStrokeGray(1)
    draw_logo(canvas, practice.style.get("logo", "ring"), MARGIN, 40, 40, practice)
    canvas.setFont(practice.style.get("font", "Helvetica-Bold"), 18)
    canvas.drawString(MARGIN + 54, flip(60), practice.name)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(MARGIN + 54, flip(76), practice.specialty)
    canvas.setFillGray(0)
    canvas.setFont("Helvetica", 8.5)
    canvas.drawString(MARGIN, flip(112), "   |   ".join(_contact_lines(practice)))
    return 140.0


def _sidebar_letterhead(canvas: Canvas, practice: Practice) -> float:
    canvas.setFillGray(0.3)
    canvas.rect(0, 0, 40, PAGE_HEIGHT, stroke=0, fill=1)
    canvas.setFillGray(0)
    draw_logo(canvas, practice.style.get("logo", "wave"), MARGIN, 36, 36, practice)
    canvas.setFont(practice.style.get("font", "Helvetica-Bold"), 16)
    canvas.drawString(MARGIN + 46, flip(56), practice.name)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(MARGIN + 46, flip(70), practice.specialty)
    canvas.setFont("Helvetica", 8)
    footer = "  |  ".join(_contact_lines(practice))
    canvas.drawCentredString(PAGE_WIDTH / 2 + 20, flip(760), footer)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, flip(750), PAGE_WIDTH - MARGIN, flip(750))
    return 112.0


def draw_logo(canvas: Canvas, shape: str, left: float, top: float, size: float,
              practice: Practice) -> None:
    """Draw a simple logo-like shape in a ``size`` square at (left, top).

    An unknown shape, such as "none", draws nothing.
    """
    drawer = _LOGOS.get(shape)
    if drawer is None:
        return
    canvas.setLineWidth(max(size / 22, 1))
    drawer(canvas, left, flip(top + size / 2), size, practice)


def _logo_mountains(canvas: Canvas, left: float, cy: float, size: float,
                    practice: Practice) -> None:
    radius = size / 2
    path = canvas.beginPath()
    path.moveTo(left, cy - radius * 0.6)
    path.lineTo(left + size * 0.35, cy + radius * 0.7)
    path.lineTo(left + size * 0.55, cy + radius * 0.1)
    path.lineTo(left + size * 0.72, cy + radius * 0.45)
    path.lineTo(left + size, cy - radius * 0.6)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _logo_leaf(canvas: Canvas, left: float, cy: float, size: float,
               practice: Practice) -> None:
    radius = size / 2
    canvas.ellipse(left + size * 0.2, cy - radius, left + size * 0.8, cy + radius,
                   stroke=1, fill=0)
    canvas.line(left + radius, cy - radius, left + radius, cy + radius)


def _logo_initials(canvas: Canvas, left: float, cy: float, size: float,
                   practice: Practice) -> None:
    canvas.rect(left, cy - size / 2, size, size, stroke=1, fill=0)
    initials = "".join(word[0] for word in practice.name.split()[:2])
    canvas.setFont("Times-Bold", size * 0.5)
    canvas.drawCentredString(left + size / 2, cy - size * 0.17, initials)


def _logo_sun(canvas: Canvas, left: float, cy: float, size: float,
              practice: Practice) -> None:
    radius = size / 2
    cx = left + radius
    canvas.circle(cx, cy, radius * 0.45, stroke=0, fill=1)
    for step in range(10):
        angle = step * math.tau / 10
        canvas.line(cx + math.cos(angle) * radius * 0.6,
                    cy + math.sin(angle) * radius * 0.6,
                    cx + math.cos(angle) * radius, cy + math.sin(angle) * radius)


def _logo_ring(canvas: Canvas, left: float, cy: float, size: float,
               practice: Practice) -> None:
    radius = size / 2
    canvas.circle(left + radius, cy, radius * 0.9, stroke=1, fill=0)
    canvas.circle(left + radius, cy, radius * 0.5, stroke=1, fill=0)


def _logo_cross(canvas: Canvas, left: float, cy: float, size: float,
                practice: Practice) -> None:
    radius = size / 2
    arm = radius * 0.3
    cx = left + radius
    canvas.rect(cx - arm, cy - radius, 2 * arm, size, stroke=0, fill=1)
    canvas.rect(cx - radius, cy - arm, size, 2 * arm, stroke=0, fill=1)


def _logo_wave(canvas: Canvas, left: float, cy: float, size: float,
               practice: Practice) -> None:
    radius = size / 2
    for row in range(3):
        path = canvas.beginPath()
        y = cy - radius * 0.5 + row * radius * 0.5
        path.moveTo(left, y)
        path.curveTo(left + size * 0.3, y + 8, left + size * 0.6, y - 8,
                     left + size, y)
        canvas.drawPath(path, stroke=1, fill=0)


def _logo_pillar(canvas: Canvas, left: float, cy: float, size: float,
                 practice: Practice) -> None:
    radius = size / 2
    canvas.rect(left + size * 0.1, cy + radius * 0.6, size * 0.8, radius * 0.25,
                stroke=0, fill=1)
    for column in range(3):
        canvas.rect(left + size * (0.18 + column * 0.25), cy - radius * 0.7,
                    size * 0.14, radius * 1.25, stroke=0, fill=1)
    canvas.rect(left + size * 0.05, cy - radius * 0.9, size * 0.9, radius * 0.2,
                stroke=0, fill=1)


_LOGOS: dict[str, Callable[[Canvas, float, float, float, Practice], None]] = {
    "mountains": _logo_mountains,
    "leaf": _logo_leaf,
    "initials": _logo_initials,
    "sun": _logo_sun,
    "ring": _logo_ring,
    "cross": _logo_cross,
    "wave": _logo_wave,
    "pillar": _logo_pillar,
}
