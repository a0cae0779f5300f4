"""The Image Service Center's own forms, as layout data.

Each form edition is a JSON file beside this module (``<form_id>.json``). A
layout lists the printed elements of one US Letter page with their boxes in
PDF points, origin at the top left of the page (x to the right, y down). The
renderer (:mod:`intake.forms.render`) draws a layout to PDF and the sample
generator fills it. The pipeline's checker fits a layout to a scanned page
by matching the printed label words to OCR word boxes. It then looks inside
the input boxes for the signature, the date and the checkbox marks.

Box conventions, per element kind (see docs/samples.md for the JSON schema):

- ``title`` and ``text``: ``box`` is the area the text is set in; the
  wrapped text's extent is ``label_box``.
- ``field``: with ``label_side`` "left", ``box`` is the whole row and the
  fill line starts after the label. With "above" or "below", ``box`` is the
  writing area and the label is outside it. ``input_box`` is always the
  writing area, whose bottom edge is the printed line.
- ``checkbox``: ``box`` is the printed square; the label is to its right
  (or left).
- ``signature``: ``box`` is the signing area, printed line at its bottom.
- ``line``: ``box`` is the extent of a printed rule; it has no label.

Loading validates every layout. A missing key, an unknown kind, a duplicate
id, a box off the page or a field with too little room after its label
raises :class:`LayoutError` naming the file and the element.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

logger = logging.getLogger(__name__)

FORMS_DIR = Path(__file__).parent
"""Folder that contains the layout JSON files."""

Box = tuple[float, float, float, float]
"""A box as (left, top, right, bottom) in PDF points from the page's top left."""

KINDS = ("title", "text", "field", "checkbox", "signature", "line")
LABEL_SIDES = ("left", "right", "above", "below")
EDITION_STATUSES = ("registered", "held_out")
PAGE_SIZE = (612.0, 792.0)
"""US Letter in points."""

DEFAULT_FONT = "Helvetica"
DEFAULT_LABEL_SIZE = 9.5
SMALL_LABEL_SIZE = 7.5
"""Size of labels printed under or over a line ("below"/"above")."""
LABEL_GAP = 5.0
"""Points between a label and the line or box it names."""
LEADING_FACTOR = 1.22
"""Line spacing of wrapped text, as a multiple of the font size."""


class LayoutError(ValueError):
    """A layout file that is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Element:
    """One printed element of a form, with its derived label and input boxes."""

    id: str
    kind: str
    label: str
    box: Box
    field: str | None = None
    """Name of the output field written in this element (fields, signatures)."""
    group: str | None = None
    """Checkbox group, such as "information_released" or "delivery"."""
    option: str | None = None
    """The choice a checkbox stands for within its group."""
    font: str = DEFAULT_FONT
    size: float = DEFAULT_LABEL_SIZE
    align: str = "left"
    label_side: str = "left"
    lines: int = 1
    """Number of printed fill lines (fields only)."""
    label_box: Box | None = None
    input_box: Box | None = None
    line_ys: tuple[float, ...] = ()
    """Y of each printed fill line, top to bottom (fields and signatures)."""
    line_x0: float = 0.0
    """Left end of the printed fill lines (fields and signatures)."""

    @property
    def is_input(self) -> bool:
        """Whether a person fills or marks this element."""
        return self.kind in ("field", "checkbox", "signature")


@dataclass(frozen=True)
class Decoration:
    """A printed shape that carries no text: a logo, a frame or a shaded band."""

    shape: str
    box: Box
    style: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """One edition of one of the center's forms."""

    form_id: str
    doc_type: str
    language: str
    title: str
    form_number: str
    revision: str
    status: str
    """"registered" (known to the pipeline) or "held_out" (kept for testing)."""
    elements: tuple[Element, ...]
    decorations: tuple[Decoration, ...] = ()
    page_size: tuple[float, float] = PAGE_SIZE

    @property
    def registered(self) -> bool:
        """Whether the pipeline may be tuned on this edition."""
        return self.status == "registered"

    def element(self, element_id: str) -> Element:
        """Return the element with this id.

        Raises:
            KeyError: when the layout has no such element.
        """
        for element in self.elements:
            if element.id == element_id:
                return element
        raise KeyError(f"{self.form_id} has no element {element_id!r}")

    def for_field(self, name: str) -> Element | None:
        """Return the field element for output field ``name``, if any."""
        for element in self.elements:
            if element.kind == "field" and element.field == name:
                return element
        return None

    def of_kind(self, kind: str) -> list[Element]:
        """Return the elements of one kind, in layout order."""
        return [element for element in self.elements if element.kind == kind]

    def checkboxes(self, group: str) -> list[Element]:
        """Return the checkboxes of one group, in layout order."""
        return [e for e in self.of_kind("checkbox") if e.group == group]

    def checkbox(self, group: str, option: str) -> Element | None:
        """Return the checkbox for ``option`` in ``group``, if the form has it."""
        for element in self.checkboxes(group):
            if element.option == option:
                return element
        return None

    @property
    def signature(self) -> Element | None:
        """The patient's signature box, if the form has one."""
        found = self.of_kind("signature")
        return found[0] if found else None


def load_layout(form_id: str) -> Layout:
    """Load and validate the layout of one form edition.

    Args:
        form_id: The edition's id, which is also its file name without
            ``.json`` (for example ``"release_images_en"``).

    Raises:
        LayoutError: when the file is missing, is not valid JSON, or breaks
            one of the layout rules in this module's docstring.
    """
    path = FORMS_DIR / f"{form_id}.json"
    if not path.is_file():
        known = ", ".join(list_form_ids()) or "none"
        raise LayoutError(f"{path}: no such form layout; known forms: {known}")

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LayoutError(f"{path}: invalid JSON: {error}") from error

    layout = parse_layout(raw, source=path)
    if layout.form_id != form_id:
        raise LayoutError(
            f"{path}: form_id is {layout.form_id!r}; rename the file or fix the id"
        )
    logger.debug("loaded layout %s with %d elements", form_id, len(layout.elements))
    return layout


def list_form_ids() -> list[str]:
    """Return the ids of every layout file, sorted."""
    return sorted(path.stem for path in FORMS_DIR.glob("*.json"))


def all_layouts(include_held_out: bool = True) -> list[Layout]:
    """Load every layout, sorted by form id.

    Args:
        include_held_out: When False, return only the registered editions.
    """
    layouts = [load_layout(form_id) for form_id in list_form_ids()]
    if include_held_out:
        return layouts
    return [layout for layout in layouts if layout.registered]


def parse_layout(raw: dict[str, Any], source: Path | str = "<layout>") -> Layout:
    """Build a :class:`Layout` from its JSON object and validate it.

    Raises:
        LayoutError: naming ``source`` and the offending element.
    """
    required = ("form_id", "doc_type", "language", "title", "form_number",
                "revision", "status", "elements")
    missing = [key for key in required if key not in raw]
    if missing:
        raise LayoutError(f"{source}: missing top-level keys {missing}")

    if raw["status"] not in EDITION_STATUSES:
        raise LayoutError(
            f"{source}: status must be one of {EDITION_STATUSES}, "
            f"got {raw['status']!r}"
        )

    page_size = tuple(raw.get("page_size", PAGE_SIZE))
    elements = tuple(
        _parse_element(item, source, page_size) for item in raw["elements"]
    )
    _check_unique_ids(elements, source)
    decorations = tuple(
        Decoration(
            shape=item["shape"],
            box=_as_box(item["box"], source, item.get("shape", "?")),
            style={k: v for k, v in item.items() if k not in ("shape", "box")},
        )
        for item in raw.get("decorations", [])
    )
    return Layout(
        form_id=raw["form_id"],
        doc_type=raw["doc_type"],
        language=raw["language"],
        title=raw["title"],
        form_number=raw["form_number"],
        revision=raw["revision"],
        status=raw["status"],
        elements=elements,
        decorations=decorations,
        page_size=(float(page_size[0]), float(page_size[1])),
    )


def _check_unique_ids(elements: tuple[Element, ...], source: Path | str) -> None:
    seen: list[str] = []
    for element in elements:
        if element.id in seen:
            raise LayoutError(f"{source}: duplicate element id {element.id!r}")
        seen.append(element.id)


def _as_box(value: Any, source: Path | str, element_id: str) -> Box:
    if not isinstance(value, list) or len(value) != 4:
        raise LayoutError(
            f"{source}: element {element_id!r} needs box [left, top, right, "
            f"bottom], got {value!r}"
        )
    left, top, right, bottom = (float(v) for v in value)
    if right <= left or bottom <= top:
        raise LayoutError(
            f"{source}: element {element_id!r} has an empty box {value!r}; "
            "right must exceed left and bottom must exceed top"
        )
    return (left, top, right, bottom)


def _parse_element(
    item: dict[str, Any], source: Path | str, page_size: tuple[float, ...]
) -> Element:
    element_id = item.get("id")
    if not element_id:
        raise LayoutError(f"{source}: an element has no id: {item!r}")

    kind = item.get("kind")
    if kind not in KINDS:
        raise LayoutError(
            f"{source}: element {element_id!r} has kind {kind!r}; "
            f"use one of {KINDS}"
        )

    box = _as_box(item.get("box"), source, element_id)
    if box[0] < 0 or box[1] < 0 or box[2] > page_size[0] or box[3] > page_size[1]:
        raise LayoutError(f"{source}: element {element_id!r} box {box} is off the page")

    label_side = item.get("label_side", "below" if kind == "signature" else "left")
    if kind == "checkbox" and "label_side" not in item:
        label_side = "right"
    if label_side not in LABEL_SIDES:
        raise LayoutError(
            f"{source}: element {element_id!r} has label_side {label_side!r}; "
            f"use one of {LABEL_SIDES}"
        )

    if kind in ("field", "signature") and label_side == "right":
        raise LayoutError(
            f"{source}: {kind} {element_id!r} cannot have its label on the "
            "right; use left, above or below"
        )

    if kind in ("field", "checkbox") and not item.get("field") and not item.get(
        "option"
    ):
        raise LayoutError(
            f"{source}: {kind} {element_id!r} names no output field or option"
        )

    default_size = SMALL_LABEL_SIZE if label_side in ("above", "below") else (
        DEFAULT_LABEL_SIZE
    )
    base = Element(
        id=element_id,
        kind=kind,
        label=item.get("label", ""),
        box=box,
        field=item.get("field"),
        group=item.get("group"),
        option=item.get("option"),
        font=item.get("font", DEFAULT_FONT),
        size=float(item.get("size", default_size)),
        align=item.get("align", "left"),
        label_side=label_side,
        lines=int(item.get("lines", 1)),
    )
    derived = _derive_boxes(base)
    element = Element(**{**base.__dict__, **derived})
    _check_label_clear(element, source)
    return element


def _text_extent(text: str, font: str, size: float, left: float,
                 baseline: float) -> Box:
    ascent, descent = getAscentDescent(font, size)
    width = stringWidth(text, font, size)
    return (left, baseline - ascent, left + width, baseline - descent)


def _derive_boxes(element: Element) -> dict[str, Any]:
    """Compute label_box, input_box and the fill lines of one element."""
    if element.kind in ("title", "text"):
        return {"label_box": _paragraph_extent(element)}
    if element.kind == "line":
        return {}
    if element.kind == "checkbox":
        return _checkbox_boxes(element)
    return _field_boxes(element)


def _paragraph_extent(element: Element) -> Box:
    left, top, right, _ = element.box
    lines = wrap_text(element.label, element.font, element.size, right - left)
    widths = [stringWidth(line, element.font, element.size) for line in lines]
    width = max(widths, default=0.0)
    if element.align == "center":
        left = left + (right - left - width) / 2
    elif element.align == "right":
        left = right - width
    height = element.size * LEADING_FACTOR * max(len(lines), 1)
    return (left, top, left + width, top + height)


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` points.

    A newline in ``text`` always starts a new line.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(simpleSplit(paragraph, font, size, width) or [""])
    return lines


def _checkbox_boxes(element: Element) -> dict[str, Any]:
    left, top, right, bottom = element.box
    middle = (top + bottom) / 2
    baseline = middle + element.size * 0.35
    width = stringWidth(element.label, element.font, element.size)
    if element.label_side == "left":
        label_left = left - LABEL_GAP - width
    else:
        label_left = right + LABEL_GAP
    label_box = _text_extent(element.label, element.font, element.size,
                             label_left, baseline)
    return {"label_box": label_box, "input_box": element.box}


def _field_boxes(element: Element) -> dict[str, Any]:
    left, top, right, bottom = element.box
    row_height = (bottom - top) / element.lines
    line_ys = tuple(top + row_height * (row + 1) for row in range(element.lines))
    if not element.label:
        label_box = None
        line_x0 = left
        input_box = element.box
    elif element.label_side == "left":
        baseline = top + row_height - 3
        label_box = _text_extent(element.label, element.font, element.size,
                                 left, baseline)
        line_x0 = label_box[2] + LABEL_GAP
        input_box = (line_x0, top, right, bottom)
    elif element.label_side == "below":
        baseline = bottom + element.size + 1.5
        label_box = _text_extent(element.label, element.font, element.size,
                                 left, baseline)
        line_x0 = left
        input_box = element.box
    else:
        baseline = top - 3
        label_box = _text_extent(element.label, element.font, element.size,
                                 left, baseline)
        line_x0 = left
        input_box = element.box
    return {
        "label_box": label_box,
        "input_box": input_box,
        "line_ys": line_ys,
        "line_x0": line_x0,
    }


def _check_label_clear(element: Element, source: Path | str) -> None:
    if element.kind not in ("field", "signature") or element.input_box is None:
        return
    left, _, right, _ = element.input_box
    if right - left < 24:
        raise LayoutError(
            f"{source}: field {element.id!r} leaves only {right - left:.0f} pt "
            "to write in after its label; widen the box or shorten the label"
        )
