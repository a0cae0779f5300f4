"""Draw a form layout, blank or with typed values, with reportlab.

Layouts use top-left coordinates in points; reportlab's canvas uses
bottom-left ones, so every drawing call here flips y with the page height.
The sample generator calls :func:`draw_layout` and then adds its own hand
fills; :func:`render_form` writes a complete one-page PDF.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from reportlab.pdfbase.pdfmetrics import getAscentDescent
from reportlab.pdfgen.canvas import Canvas

from intake.forms import (
    LEADING_FACTOR,
    Decoration,
    Element,
    Layout,
    wrap_text,
)

logger = logging.getLogger(__name__)

TYPED_FONT = "Courier"
TYPED_SIZE = 10.0


def render_form(
    layout: Layout,
    path: Path,
    values: Mapping[str, str] | None = None,
    checked: Iterable[str] = (),
) -> None:
    """Write one form to a one-page PDF, blank or filled with typed values.

    Args:
        layout: The form edition to draw.
        path: Where to write the PDF.
        values: Text per output field name (``"patient_name"`` and so on);
            a multi-line value uses ``"\\n"`` between its lines.
        checked: Ids of the checkboxes to mark with a typed "X".
    """
    canvas = Canvas(str(path), pagesize=layout.page_size, invariant=1)
    draw_layout(canvas, layout)
    if values:
        draw_typed_values(canvas, layout, values)
    for element_id in checked:
        draw_typed_check(canvas, layout, layout.element(element_id))
    canvas.showPage()
    canvas.save()
    logger.debug("rendered form %s", layout.form_id)


def draw_layout(canvas: Canvas, layout: Layout) -> None:
    """Draw the printed parts of a form (no fills) on the current page."""
    for decoration in layout.decorations:
        draw_decoration(canvas, layout, decoration)
    for element in layout.elements:
        draw_element(canvas, layout, element)


def draw_element(canvas: Canvas, layout: Layout, element: Element) -> None:
    """Draw one printed element: text, fill lines, a square or a rule."""
    page_height = layout.page_size[1]
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    if element.kind in ("title", "text"):
        _draw_paragraph(canvas, element, page_height)
    elif element.kind == "line":
        left, top, right, bottom = element.box
        canvas.setLineWidth(max(bottom - top, 0.5))
        middle = page_height - (top + bottom) / 2
        canvas.line(left, middle, right, middle)
    elif element.kind == "checkbox":
        left, top, right, bottom = element.box
        canvas.setLineWidth(0.8)
        canvas.rect(left, page_height - bottom, right - left, bottom - top)
        _draw_label(canvas, element, page_height)
    else:
        _draw_fill_lines(canvas, element, page_height)
        _draw_label(canvas, element, page_height)
    canvas.restoreState()


def _draw_paragraph(canvas: Canvas, element: Element, page_height: float) -> None:
    left, top, right, _ = element.box
    ascent, _ = getAscentDescent(element.font, element.size)
    leading = element.size * LEADING_FACTOR
    canvas.setFont(element.font, element.size)
    lines = wrap_text(element.label, element.font, element.size, right - left)
    for index, line in enumerate(lines):
        baseline = page_height - (top + ascent + index * leading)
        if element.align == "center":
            canvas.drawCentredString((left + right) / 2, baseline, line)
        elif element.align == "right":
            canvas.drawRightString(right, baseline, line)
        else:
            canvas.drawString(left, baseline, line)


def _draw_label(canvas: Canvas, element: Element, page_height: float) -> None:
    if not element.label or element.label_box is None:
        return
    _, descent = getAscentDescent(element.font, element.size)
    baseline = element.label_box[3] + descent
    canvas.setFont(element.font, element.size)
    canvas.drawString(element.label_box[0], page_height - baseline, element.label)


def _draw_fill_lines(canvas: Canvas, element: Element, page_height: float) -> None:
    right = element.box[2]
    canvas.setLineWidth(0.9 if element.kind == "signature" else 0.6)
    for y in element.line_ys:
        canvas.line(element.line_x0, page_height - y, right, page_height - y)


def draw_decoration(canvas: Canvas, layout: Layout, decoration: Decoration) -> None:
    """Draw a logo, frame or shaded band."""
    page_height = layout.page_size[1]
    left, top, right, bottom = decoration.box
    style = decoration.style
    canvas.saveState()
    if decoration.shape in ("band", "frame"):
        canvas.setLineWidth(float(style.get("width", 0.8)))
        canvas.setFillGray(float(style.get("gray", 0.85)))
        filled = decoration.shape == "band"
        canvas.rect(left, page_height - bottom, right - left, bottom - top,
                    stroke=int(not filled or bool(style.get("outline", False))),
                    fill=int(filled))
    else:
        _draw_logo(canvas, decoration.shape, decoration.box, page_height)
    canvas.restoreState()


def _draw_logo(canvas: Canvas, shape: str, box: tuple[float, float, float, float],
               page_height: float) -> None:
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, page_height - (top + bottom) / 2
    radius = min(right - left, bottom - top) / 2
    canvas.setLineWidth(max(radius / 10, 1))
    if shape == "logo_cross":
        canvas.circle(cx, cy, radius, stroke=1, fill=0)
        arm = radius * 0.28
        canvas.rect(cx - arm, cy - radius * 0.7, 2 * arm, radius * 1.4,
                    stroke=0, fill=1)
        canvas.rect(cx - radius * 0.7, cy - arm, radius * 1.4, 2 * arm,
                    stroke=0, fill=1)
    elif shape == "logo_leaf":
        path = canvas.beginPath()
        path.moveTo(cx, cy - radius)
        path.curveTo(cx + radius * 1.1, cy - radius * 0.2, cx + radius * 0.5,
                     cy + radius, cx, cy + radius)
        path.curveTo(cx - radius * 0.5, cy + radius, cx - radius * 1.1,
                     cy - radius * 0.2, cx, cy - radius)
        canvas.drawPath(path, stroke=1, fill=1)
        canvas.setStrokeGray(1)
        canvas.line(cx, cy - radius * 0.8, cx, cy + radius * 0.8)
    else:
        # "logo_rays": a ring with short rays, like a stylised sun or lens.
        canvas.circle(cx, cy, radius * 0.45, stroke=1, fill=1)
        for step in range(12):
            angle = step * math.pi / 6
            canvas.line(cx + math.cos(angle) * radius * 0.6,
                        cy + math.sin(angle) * radius * 0.6,
                        cx + math.cos(angle) * radius,
                        cy + math.sin(angle) * radius)


def draw_typed_values(canvas: Canvas, layout: Layout,
                      values: Mapping[str, str]) -> None:
    """Type each value on its field's fill lines, as a PDF form filler would."""
    for name, value in values.items():
        element = layout.for_field(name)
        if element is None or not value:
            continue
        draw_typed_text(canvas, layout, element, value)


def draw_typed_text(canvas: Canvas, layout: Layout, element: Element,
                    value: str, font: str = TYPED_FONT,
                    size: float = TYPED_SIZE) -> None:
    """Type ``value`` on the fill lines of one field, one line per row."""
    page_height = layout.page_size[1]
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.setFont(font, size)
    rows = value.split("\n")
    for y, row in zip(element.line_ys, rows, strict=False):
        canvas.drawString(element.line_x0 + 4, page_height - (y - 3), row)
    canvas.restoreState()


def draw_typed_check(canvas: Canvas, layout: Layout, element: Element) -> None:
    """Mark a checkbox with a typed "X" centred in its square."""
    left, top, right, bottom = element.box
    size = (bottom - top) * 1.05
    page_height = layout.page_size[1]
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", size)
    baseline = page_height - bottom + (bottom - top - size * 0.72) / 2
    canvas.drawCentredString((left + right) / 2, baseline, "X")
    canvas.restoreState()
