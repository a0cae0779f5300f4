"""Locate the fill-in areas, signature and checkboxes of a form page.

Two ways, tried in order:

1. A registered layout fits the page (``layout_fit``): each element's box
   is mapped from points into the page, and a checkbox is re-found near
   its mapped place so that a fit a few pixels off still measures the
   right square.
2. Otherwise the form is an unknown edition. Each area is found by its
   printed label (English and Spanish wordings in ``FIELD_LABELS``) and
   the printed line or box beside it. The line may start just right of
   the label ("Patient name ______") or run just above it, for a label
   printed under its line as under a signature. It may also run below
   the label, for a label printed over its writing area (a line or a
   box). A checkbox is the square found left of its label, or else right
   of it.

Known limits of the second way: a label worded unlike every entry of
``FIELD_LABELS`` is not found, and a page skewed by more than about two
degrees breaks its printed lines into pieces too short to be found.

Both ways give the same ``FormRegions``, which ``extract`` reads fields
from and ``checks`` measures marks in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from classifiers import page_cache
from classifiers.layout_fit import LayoutFit
from classifiers.lines import PageText, TextLine, union_boxes
from classifiers.marks import find_checkboxes, find_horizontal_lines, ink_map
from classifiers.nlp import PhraseFinder
from intake.forms import Element
from intake.types import BBox, Page, Word

log = logging.getLogger(__name__)

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "patient_name": (
        "patient name",
        "name of patient",
        "patient's name",
        "patient's full name",
        "patient full name",
        "full name",
        "patient (last, first)",
        "patient name (print)",
        "nombre del paciente",
        "nombre completo del paciente",
        "nombre completo",
        "nombre y apellidos",
        "apellidos y nombre",
    ),
    "date_of_birth": (
        "date of birth",
        "birth date",
        "birthdate",
        "d.o.b.",
        "dob",
        "fecha de nacimiento",
        "fecha de nac.",
        "nacimiento",
    ),
    "mrn": (
        "medical record no.",
        "medical record no",
        "medical record number",
        "medical record #",
        "medical record",
        "record number",
        "mrn",
        "chart number",
        "patient id",
        "n.º de expediente",
        "no. de expediente",
        "numero de expediente",
        "expediente",
        "historia clinica",
        "numero de historia clinica",
    ),
    "exam_date": (
        "date(s) of exam",
        "date of exam",
        "dates of exam",
        "exam date",
        "exam date(s)",
        "date of service",
        "dates of service",
        "date(s) of service",
        "study date",
        "study date(s)",
        "date(s) of study",
        "date of study",
        "fecha(s) del estudio",
        "fecha del estudio",
        "fechas del estudio",
        "fecha(s) de estudio",
        "fecha del examen",
    ),
    "exam_description": (
        "exam description",
        "description of exam",
        "exam type",
        "type of exam",
        "study description",
        "type of study",
        "exam(s) requested",
        "study and body part",
        "exam and body part",
        "body part",
        "descripcion del estudio",
        "tipo de estudio",
        "estudio solicitado",
        "estudio y parte del cuerpo",
        "parte del cuerpo",
    ),
    "release_to_name": (
        "name of person or organization",
        "name of recipient",
        "recipient name",
        "recipient's name",
        "recipient",
        "release to",
        "send to",
        "disclose to",
        "person or organization",
        "nombre de la persona",
        "persona u organizacion",
        "destinatario",
        "entregar a",
    ),
    "release_to_address": (
        "recipient address",
        "recipient's address",
        "address",
        "mailing address",
        "street address",
        "direccion",
        "direccion postal",
    ),
    "purpose": (
        "purpose of disclosure",
        "purpose of the disclosure",
        "purpose of release",
        "purpose of use",
        "purpose",
        "reason for release",
        "reason for disclosure",
        "reason for request",
        "proposito de la divulgacion",
        "proposito",
        "motivo",
    ),
    "expiry_date": (
        "expiration date",
        "expiry date",
        "expires on",
        "date of expiration",
        "end date",
        "valid until",
        "fecha de vencimiento",
        "vence el",
    ),
    "expiry_event": (
        "or event",
        "expiration event",
        "or upon",
        "o evento",
        "evento",
    ),
    "representative_name": (
        "printed name of legal representative",
        "name of legal representative",
        "name of personal representative",
        "representative's name",
        "representative's full name",
        "representative name",
        "name of representative",
        "printed name of representative",
        "nombre del representante legal",
        "nombre del representante",
    ),
    "representative_authority": (
        "authority to act for the patient",
        "relationship to patient or legal authority",
        "relationship to patient",
        "legal authority",
        "authority to act",
        "description of authority",
        "representative's authority",
        "authority / relationship",
        "relationship / authority",
        "relationship",
        "authority",
        "parentesco con el paciente o autoridad legal",
        "parentesco con el paciente",
        "autoridad legal",
        "autoridad para actuar",
        "autoridad / parentesco",
        "parentesco / autoridad",
        "parentesco",
    ),
    "signature": (
        "signature of patient or legal representative",
        "signature of patient or",
        "signature of patient",
        "patient signature",
        "patient or representative signature",
        "signature",
        "firma del paciente o representante legal",
        "firma del paciente",
        "firma",
    ),
    "signature_date": (
        "date signed",
        "signature date",
        "date",
        "fecha de firma",
        "fecha de la firma",
        "fecha",
    ),
}
"""Printed label wordings per area, most specific first."""

XRAY_LABELS = (
    "x-rays/scan reports",
    "x-rays / scan reports",
    "x-ray / imaging reports",
    "x-ray/imaging reports",
    "x-rays and scan reports",
    "x-ray reports",
    "imaging reports",
    "radiology reports",
    "scan reports",
    "x-rays",
    "x-ray",
    "rayos x",
    "radiografias",
    "informes de radiografias",
    "informes de imagenes",
)
"""Wordings of the x-rays/scan reports checkbox label."""

INFORMATION_LABELS = (
    "discharge summary",
    "lab results",
    "laboratory results",
    "progress notes",
    "operative reports",
    "operative report",
    "entire medical record",
    "entire record",
    "complete record",
    "history and physical",
    "medication list",
    "other",
    "resumen de alta",
    "resultados de laboratorio",
    "notas de evolucion",
    "expediente completo",
    "otro",
    *XRAY_LABELS,
)
"""Labels of boxes in the "information to be released" checklist."""

ABOVE_RULE_LINES = 2.2
"""Height of a writing area above its fill line, in label heights."""
SIGNATURE_HEIGHT_SHARE = 0.045
"""Height of the signing area above its line, as a share of page height."""
WORD_EDGE_SHARE = 0.6
"""Share of a word's height, from its top, within which a straight run of
ink is an edge of its letters rather than a fill line under it."""
RULE_MIN_LABEL_HEIGHTS = 4
CHECKBOX_SEARCH_LABEL_HEIGHTS = 5


@dataclass(frozen=True)
class FieldRegion:
    """The writing area of one field on the page, with the label that names it."""

    role: str
    region: BBox
    """The writing area in page pixels, printed line at its bottom."""
    rule: BBox | None = None
    label: BBox | None = None
    source: str = "label"
    """"layout" when a registered layout placed it, else "label"."""
    label_words: tuple[Word, ...] = ()
    rise: int = 0
    """Pixels above ``region`` where writing that rises may still be read."""
    polygon: tuple[tuple[int, int], ...] | None = None
    """The writing area, rise included, as corners in page pixels when a
    fitted layout placed it (a skewed page makes it a tilted rectangle)."""

    @property
    def reading_area(self) -> BBox:
        """The box to read or measure: ``region`` plus the rise above it."""
        if self.polygon is not None:
            xs = [x for x, _ in self.polygon]
            ys = [y for _, y in self.polygon]
            return min(xs), min(ys), max(xs), max(ys)
        left, top, right, bottom = self.region
        return left, top - self.rise, right, bottom + 1


@dataclass(frozen=True)
class CheckboxRegion:
    """One checkbox: its label and the square found beside it."""

    option: str
    box: BBox | None
    """The printed square, or None when no square was found."""
    label: BBox | None
    search: BBox
    """The region searched for the square (the evidence when none was found)."""
    source: str = "label"


@dataclass
class FormRegions:
    """Everything located on one form page."""

    page: Page
    fit: LayoutFit | None
    fields: dict[str, FieldRegion] = field(default_factory=dict)
    xray_box: CheckboxRegion | None = None
    information_boxes: list[CheckboxRegion] = field(default_factory=list)
    label_height: float = 0.0
    """Median height of printed words, in pixels."""
    printed_labels: list[Word] = field(default_factory=list)
    """Words of every field label found on the page (unknown editions only),
    which never count as writing in another field's area."""


def page_ink(page: Page) -> np.ndarray:
    """Return the page's ink map, computed once per page."""
    return page_cache.cached(page, "ink", lambda p: ink_map(p.image))


def locate_regions(page: Page, fit: LayoutFit | None) -> FormRegions:
    """Locate every known area on a form page, once per page and fit."""
    key = f"regions:{fit.layout.form_id if fit else 'labels'}"
    return page_cache.cached(page, key, lambda p: _locate(p, fit))


def _locate(page: Page, fit: LayoutFit | None) -> FormRegions:
    regions = FormRegions(page, fit, label_height=_typical_height(page))
    if fit is not None:
        _locate_from_layout(regions, fit)
    else:
        _locate_from_labels(regions)
    return regions


def _typical_height(page: Page) -> float:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in page.words if w.conf >= 70)
    if not heights:
        return page.dpi / 72 * 9
    return float(heights[len(heights) // 2])


# Registered layouts -------------------------------------------------------


def _locate_from_layout(regions: FormRegions, fit: LayoutFit) -> None:
    layout = fit.layout
    for element in layout.elements:
        if element.kind == "signature":
            regions.fields["signature"] = _layout_field(fit, element, "signature")
        elif element.kind == "field" and element.field:
            regions.fields[element.field] = _layout_field(fit, element, element.field)
    for element in layout.checkboxes("information_released"):
        box = _layout_checkbox(regions, fit, element)
        regions.information_boxes.append(box)
        if element.option == "xray_scan_reports":
            regions.xray_box = box


def _layout_field(fit: LayoutFit, element: Element, role: str) -> FieldRegion:
    box = element.input_box or element.box
    input_box = fit.to_page(box)
    label = fit.to_page(element.label_box) if element.label_box else None
    left, _, right, bottom = input_box
    rule = (left, bottom - 2, right, bottom + 2)
    # Writing rises above a short fill area: a third of a line for fields,
    # a quarter of the box for a signature, whose strokes are taller.
    share = 4 if role == "signature" else 3 * max(1, element.lines)
    rise_points = (box[3] - box[1]) / share
    corners = (
        (box[0], box[1] - rise_points),
        (box[2], box[1] - rise_points),
        (box[2], box[3] + 1),
        (box[0], box[3] + 1),
    )
    polygon = tuple(
        (round(x), round(y)) for x, y in (fit.to_point(*c) for c in corners)
    )
    rise = round(fit.points_to_pixels(rise_points))
    return FieldRegion(
        role, input_box, rule, label, "layout", rise=rise, polygon=polygon
    )


def _layout_checkbox(
    regions: FormRegions, fit: LayoutFit, element: Element
) -> CheckboxRegion:
    expected = fit.to_page(element.box)
    side = expected[2] - expected[0]
    margin = max(4, side // 2)
    search = (
        expected[0] - margin,
        expected[1] - margin,
        expected[2] + margin,
        expected[3] + margin,
    )
    found = find_checkboxes(
        page_ink(regions.page), search, int(side * 0.7), int(side * 1.4) + 2
    )
    box = min(found, key=lambda b: _distance(b, expected)) if found else expected
    label = fit.to_page(element.label_box) if element.label_box else None
    return CheckboxRegion(element.option or element.id, box, label, search, "layout")


# Unknown editions ---------------------------------------------------------


def _label_finder(language: str) -> PhraseFinder:
    if ("fields", language) not in _finders:
        phrases = {role: list(labels) for role, labels in FIELD_LABELS.items()}
        _finders[("fields", language)] = PhraseFinder(
            phrases, language, short_fuzzy=True
        )
    return _finders[("fields", language)]


def _checkbox_finder(language: str) -> PhraseFinder:
    if ("boxes", language) not in _finders:
        phrases = {"xray": list(XRAY_LABELS), "information": list(INFORMATION_LABELS)}
        _finders[("boxes", language)] = PhraseFinder(
            phrases, language, short_fuzzy=True
        )
    return _finders[("boxes", language)]


_finders: dict[tuple[str, str], PhraseFinder] = {}


def _locate_from_labels(regions: FormRegions) -> None:
    page = regions.page
    text = PageText.of(page)
    candidates: dict[str, list[list[Word]]] = {}
    for match in _label_finder(page.language).find(text.text):
        words = text.words_in_span(match.start, match.end)
        if match.label == "signature" and _names_another_signer(
            text.text, match.start, match.end
        ):
            regions.printed_labels.extend(words)
            continue
        if words:
            candidates.setdefault(match.label, []).append(words)
            regions.printed_labels.extend(words)
    for role, options in candidates.items():
        if role in ("signature_date", "release_to_address"):
            continue
        found = _first_region(regions, role, options)
        if found is not None:
            regions.fields[role] = found
    _locate_dependent_fields(regions, candidates)
    _locate_label_checkboxes(regions, text)


OTHER_SIGNERS = re.compile(
    r"\b(?:pick(?:ing|ed)?\s+up|pickup|witness|staff|employee|interpreter|"
    r"translator|physician|recoge|recogi[oó]|testigo|int[eé]rprete)\b",
    re.IGNORECASE,
)
"""Words around "Signature" that name someone other than the patient or
their representative: the pickup record, a witness, the staff member."""


def _names_another_signer(text: str, start: int, end: int) -> bool:
    """Return True when the words around a signature label, on its line,
    name another signer ("Signature of person picking up", "Staff
    signature")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[max(line_start, start - 25) : start]
    after = text[end : line_end if line_end >= 0 else len(text)][:40]
    return OTHER_SIGNERS.search(before + " " + after) is not None


def _first_region(
    regions: FormRegions, role: str, options: list[list[Word]]
) -> FieldRegion | None:
    """Return the area of the label candidate that looks most like a field label.

    The same words occur in headings, sentences and checkbox options
    ("Complete medical record"). A field label has a fill line or box
    beside it, starts its row, and has no checkbox next to it.
    """
    best: tuple[float, FieldRegion] | None = None
    for words in options:
        region = _region_beside_label(regions, role, words)
        score = _label_score(regions, region, words)
        if best is None or score > best[0]:
            best = (score, region)
    return best[1] if best else None


def _label_score(regions: FormRegions, region: FieldRegion, words: list[Word]) -> float:
    label = _box_of(words)
    height = regions.label_height
    score = 2.0 if region.rule is not None else 0.0
    score += min(1.0, sum(len(word.text) for word in words) / 20)
    ids = {id(word) for word in words}
    before = [
        word
        for word in regions.page.words
        if id(word) not in ids
        and abs((word.bbox[1] + word.bbox[3]) / 2 - (label[1] + label[3]) / 2)
        < height / 2
        and 0 <= label[0] - word.bbox[2] <= 1.5 * height
    ]
    if not before:
        score += 1.0
    if _has_option_box(regions, label):
        score -= 3.0
    if region.role == "signature" and region.rule is not None:
        # Signature lines are long; a short line under a heading is not one.
        length = region.rule[2] - region.rule[0]
        score += 2.0 * min(1.0, length / (0.3 * regions.page.image.width))
    return score


def _has_option_box(regions: FormRegions, label: BBox) -> bool:
    """Return True when a checkbox the size of the text sits level with a label."""
    height = regions.label_height
    found = _checkbox_beside(page_ink(regions.page), label, height, "option").box
    if found is None:
        return False
    side = found[3] - found[1]
    middle = (found[1] + found[3]) / 2
    level = abs(middle - (label[1] + label[3]) / 2) <= 0.5 * height
    return level and 0.9 * height <= side <= 2.0 * height


def _locate_dependent_fields(
    regions: FormRegions, candidates: dict[str, list[list[Word]]]
) -> None:
    """Place the signature date by the signature, the address below the recipient."""
    signature = regions.fields.get("signature")
    if signature is not None:
        options = _sorted_by_distance(candidates.get("signature_date", []), signature)
        for words in options:
            region = _region_beside_label(regions, "signature_date", words)
            if _same_band(region, signature, regions.label_height):
                regions.fields["signature_date"] = region
                break
    recipient = regions.fields.get("release_to_name")
    if recipient is not None:
        below = [
            words
            for words in candidates.get("release_to_address", [])
            if _box_of(words)[1] >= recipient.region[1]
        ]
        if below:
            nearest = min(below, key=lambda words: _box_of(words)[1])
            regions.fields["release_to_address"] = _region_beside_label(
                regions, "release_to_address", nearest
            )


def _region_beside_label(
    regions: FormRegions, role: str, words: list[Word]
) -> FieldRegion:
    """Place a field's writing area from its label and the printed line near it.

    A line starting right of the label wins, then one just above the label,
    then one below it. With no line at all, the area is the rest of the
    label's row up to the next label.
    """
    label = _box_of(words)
    height = regions.label_height
    ink = page_ink(regions.page)
    width = regions.page.image.width
    min_length = int(RULE_MIN_LABEL_HEIGHTS * height)
    row = _words_on_row(regions.page, label, height)

    right_rule = _rule_right_of(ink, label, height, width, min_length, row)
    if right_rule is not None:
        rule = _extend_down(regions, right_rule, min_length)
        # The writing sits on the label's row, so the area starts a little
        # above the label even when the fill line is far below it.
        lowest = int(right_rule[1] - ABOVE_RULE_LINES * height)
        top = max(lowest, int(label[1] - 0.8 * height))
        region = (right_rule[0], top, rule[2], rule[3])
        return _label_region(role, region, rule, label, words, height)

    above_rule = _rule_above(regions.page, label, height, width, min_length)
    if above_rule is not None:
        region = _area_above_rule(regions, role, above_rule, height)
        return _label_region(role, region, above_rule, label, words, height)

    below_rule = _rule_below(ink, label, height, width, min_length)
    if below_rule is not None:
        region, rule = _area_below_label(ink, label, below_rule, height, min_length)
        last = _extend_down(regions, rule, min_length)
        region = (region[0], region[1], region[2], max(region[3], last[3]))
        return _label_region(role, region, rule, label, words, height)

    limit = min(width, label[2] + int(width * 0.45))
    row_right = _next_label_start(regions, label, limit)
    top, bottom = int(label[1] - 0.6 * height), int(label[3] + 0.4 * height)
    region = (label[2] + 2, top, row_right, bottom)
    return _label_region(role, region, None, label, words, height)


def _label_region(
    role: str,
    region: BBox,
    rule: BBox | None,
    label: BBox,
    words: list[Word],
    height: float,
) -> FieldRegion:
    rise = int(0.3 * height)
    return FieldRegion(role, region, rule, label, "label", tuple(words), rise)


def _words_on_row(page: Page, label: BBox, height: float) -> list[Word]:
    """Return the page's words level with a label."""
    return [
        word
        for word in page.words
        if label[1] - height / 2 <= (word.bbox[1] + word.bbox[3]) / 2
        and (word.bbox[1] + word.bbox[3]) / 2 <= label[3] + height / 2
    ]


def _next_label_start(regions: FormRegions, label: BBox, limit: int) -> int:
    """Return where the next printed label on a label's row starts, or ``limit``."""
    middle = (label[1] + label[3]) / 2
    starts = [
        word.bbox[0]
        for word in regions.printed_labels
        if label[2] < word.bbox[0] < limit
        and abs((word.bbox[1] + word.bbox[3]) / 2 - middle) < regions.label_height / 2
    ]
    return min(starts, default=limit) - 2


def _area_above_rule(
    regions: FormRegions, role: str, rule: BBox, height: float
) -> BBox:
    # The area stops a pixel above the line, so a fax's broken line does not
    # count as writing.
    if role == "signature":
        # Anchor on the line's bottom edge: strokes joined to the line make
        # its box taller, and the line itself is erased before measuring.
        tall = SIGNATURE_HEIGHT_SHARE * regions.page.image.height + (rule[3] - rule[1])
        top = _clip_to_printed_line_above(regions, rule, int(rule[3] - tall))
        return (rule[0], top, rule[2], rule[3])
    return (rule[0], int(rule[1] - ABOVE_RULE_LINES * height), rule[2], rule[1] - 1)


def _clip_to_printed_line_above(regions: FormRegions, rule: BBox, top: int) -> int:
    """Move ``top`` below the nearest line of printed text above the rule."""
    for line in reversed(_printed_lines(regions.page)):
        left, _, right, bottom = line.bbox
        if bottom >= rule[1] or bottom < top:
            continue
        if right < rule[0] or left > rule[2]:
            continue
        return bottom + 2
    return top


def _printed_lines(page: Page) -> list[TextLine]:
    def compute(page: Page) -> list[TextLine]:
        text = PageText.of(page)
        return [
            line
            for line in text.lines
            if len(line.words) >= 3
            and line.confidence >= 85
            and sum(len(w.text) >= 3 and w.text.isalpha() for w in line.words) >= 2
        ]

    return page_cache.cached(page, "printed_lines", compute)


def _rule_right_of(
    ink: np.ndarray,
    label: BBox,
    height: float,
    width: int,
    min_length: int,
    words_on_row: list[Word],
) -> BBox | None:
    """Find the fill line that starts after a label on the label's row.

    Printed words between the label and the line (a note such as "(if
    known)") are allowed, so the line may start up to about twenty label
    heights after the matched label words.
    """
    search = (
        label[2] - int(height),
        int(label[1] - 0.5 * height),
        width,
        int(label[3] + height),
    )
    rules = [
        rule
        for rule in find_horizontal_lines(ink, search, min_length, int(height))
        if label[2] - 0.5 * height <= rule[0] <= label[2] + 20 * height
        and label[3] - 0.6 * height <= rule[1]
    ]
    # A line that starts well after the label must have printed words
    # bridging the gap; otherwise it is a stroke of nearby handwriting.
    rules = [
        rule
        for rule in rules
        if rule[0] <= label[2] + 3 * height or _words_between(words_on_row, label, rule)
    ]
    rules = [
        rule
        for rule in rules
        if not any(_edge_of_word(rule, word) for word in words_on_row)
    ]
    return min(rules, key=lambda rule: rule[0]) if rules else None


def _edge_of_word(rule: BBox, word: Word) -> bool:
    """Return True when ``rule`` is the straight top or middle edge of a word's letters.

    The tops of a run of small letters ("organization") form a straight
    line as long as a short fill line. A fill line lies under the word's
    letters, while such an edge lies within the word's box, in its upper part.
    """
    left, top, right, bottom = word.bbox
    middle = (rule[1] + rule[3]) / 2
    return (
        left - 2 <= rule[0]
        and rule[2] <= right + 2
        and middle < top + WORD_EDGE_SHARE * (bottom - top)
    )


def _words_between(words: list[Word], label: BBox, rule: BBox) -> bool:
    """Return True when confident words fill the row from the label to the line."""
    between = [
        w for w in words if label[2] - 2 <= w.bbox[0] and w.bbox[2] <= rule[0] + 4
    ]
    covered = sum(w.bbox[2] - w.bbox[0] for w in between if w.conf >= 60)
    return covered >= 0.4 * (rule[0] - label[2])


def _rule_above(
    page: Page, label: BBox, height: float, width: int, min_length: int
) -> BBox | None:
    """Find the line a label is printed under (a signature or date line).

    Such a label sits right below its line, within about half a label
    height. A line further up belongs to the field above, whose label is
    printed over it.
    """
    # A signature stroke that touches the line joins it into one taller
    # shape, so the search reaches higher and tests the line's bottom edge.
    search = (
        max(0, label[0] - int(2 * height)),
        int(label[1] - 3 * height),
        min(width, label[2] + width // 2),
        label[1],
    )
    # The printed line is at least about as long as its label, so a shorter
    # straight run is more likely a stroke of the writing above it.
    longest_needed = max(min_length, int(0.8 * (label[2] - label[0])))
    rules = [
        rule
        for rule in find_horizontal_lines(
            page_ink(page), search, longest_needed, int(height)
        )
        if rule[0] <= label[0] + 2 * height
        and rule[2] >= label[0] + 2 * height
        and rule[3] >= label[1] - 0.6 * height
        and not _fill_line_of_row_above(page, rule, label, height)
    ]
    return max(rules, key=lambda rule: rule[2] - rule[0]) if rules else None


def _fill_line_of_row_above(page: Page, rule: BBox, label: BBox, height: float) -> bool:
    """Return True for the fill line of the row above running on past a label.

    "Reason for release ____" printed over "or expiration event" puts a
    line just above that label, but the line starts left of it, after a
    label of its own.
    """
    return rule[0] < label[0] - height and _label_before(page, rule, height)


def _rule_below(
    ink: np.ndarray, label: BBox, height: float, width: int, min_length: int
) -> BBox | None:
    """Find the first line under a label printed above its writing area."""
    search = (
        max(0, label[0] - int(2 * height)),
        label[3],
        min(width, label[2] + width // 2),
        int(label[3] + 3.5 * height),
    )
    # As above a signature line: the bottom stroke of block capitals written
    # on the line ("MARY") is a straight run too, but shorter than the label.
    longest_needed = max(min_length, int(0.8 * (label[2] - label[0])))
    rules = [
        rule
        for rule in find_horizontal_lines(ink, search, longest_needed, int(height))
        if rule[0] <= label[0] + 2 * height
    ]
    rules = [rule for rule in rules if not _struck_word(rule, rules, height)]
    return min(rules, key=lambda rule: rule[1]) if rules else None


def _struck_word(rule: BBox, rules: list[BBox], height: float) -> bool:
    """Return True when ``rule`` is more likely a pen line through a word.

    A word struck out on a fill line leaves a straight stroke as long as
    the word, just above the fill line. The fill line runs the field's
    width, so it is at least twice as long, under the stroke and within
    two label heights of it.
    """
    length = rule[2] - rule[0]
    return any(
        other[1] > rule[1]
        and other[1] - rule[3] <= 2 * height
        and other[0] <= rule[0] + height
        and other[2] >= rule[2] - height
        and other[2] - other[0] >= 2 * length
        for other in rules
    )


def _area_below_label(
    ink: np.ndarray, label: BBox, first: BBox, height: float, min_length: int
) -> tuple[BBox, BBox]:
    """Return the writing area under a label and the line at its bottom.

    Three shapes are recognized. A box has a line right under the label
    and a second one below it, and the writing goes between them. A fill
    line some way below the label carries the writing on it. An underline
    right under the label with nothing below has the writing just under it.
    """
    search = (first[0] - 4, first[3] + 2, first[2] + 4, int(first[3] + 3.5 * height))
    below = [
        rule
        for rule in find_horizontal_lines(ink, search, min_length, int(height))
        if _overlap(rule, first) >= 0.5 and rule[1] - first[3] >= 0.8 * height
    ]
    if first[1] - label[3] < 0.8 * height:
        if below:
            bottom = min(below, key=lambda rule: rule[1])
            return (first[0], first[3] + 1, first[2], bottom[1]), bottom
        return (first[0], first[3] + 1, first[2], int(first[3] + 2.2 * height)), first
    return (first[0], label[3] + 1, first[2], first[1]), first


def _overlap(a: BBox, b: BBox) -> float:
    """Return the share of the shorter box's width that the two share."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    return max(0.0, shared) / max(1, min(a[2] - a[0], b[2] - b[0]))


def _extend_down(regions: FormRegions, rule: BBox, min_length: int) -> BBox:
    """Grow a field's area over its further fill lines right below the first.

    A continuation line ends where the first one ends and has no printed
    label before it on its row. The line of the next field has one.
    """
    ink = page_ink(regions.page)
    height = regions.label_height
    current = rule
    for _ in range(3):
        search = (
            current[0] - int(12 * height),
            current[3] + 2,
            current[2] + 4,
            int(current[3] + 3 * height),
        )
        below = [
            r
            for r in find_horizontal_lines(ink, search, min_length, int(height))
            if abs(r[2] - current[2]) <= height
            and not _label_before(regions.page, r, height)
        ]
        if not below:
            break
        current = min(below, key=lambda r: r[1])
    return (rule[0], rule[1], rule[2], current[3])


def _label_before(page: Page, rule: BBox, height: float) -> bool:
    """Return True when printed words sit on a fill line's row, just left of it."""
    for word in page.words:
        middle = (word.bbox[1] + word.bbox[3]) / 2
        if not rule[1] - 1.5 * height <= middle <= rule[1]:
            continue
        if rule[0] - 12 * height <= word.bbox[2] <= rule[0] + 2 and word.conf >= 60:
            return True
    return False


def _locate_label_checkboxes(regions: FormRegions, text: PageText) -> None:
    page = regions.page
    ink = page_ink(page)
    height = regions.label_height
    for match in _checkbox_finder(page.language).find(text.text):
        words = text.words_in_span(match.start, match.end)
        if not words:
            continue
        label = _box_of(_extend_label(page, words, height))
        box_region = _checkbox_beside(ink, label, height, match.label)
        if match.label == "xray" and regions.xray_box is None:
            regions.xray_box = box_region
        if box_region.box is not None:
            regions.information_boxes.append(box_region)


def _extend_label(page: Page, words: list[Word], height: float) -> list[Word]:
    """Add the words that continue a matched label on its row.

    The wording matched may be only the start of the printed label ("X-ray"
    of "X-ray / imaging reports"), and a box on the right sits after the
    whole label. Words closer than one label height are taken as part of it.
    """
    extended = list(words)
    middle = (words[0].bbox[1] + words[-1].bbox[3]) / 2
    row = sorted(
        (
            w
            for w in page.words
            if abs((w.bbox[1] + w.bbox[3]) / 2 - middle) < height / 2
        ),
        key=lambda w: w.bbox[0],
    )
    for word in row:
        right = max(w.bbox[2] for w in extended)
        if word in extended or word.bbox[2] <= right:
            continue
        adjacent = word.bbox[0] - right <= height
        if word.text in LABEL_SEPARATORS:
            if adjacent:
                extended.append(word)
            continue
        if _looks_like_box(word.text):
            # The label's last word may carry the box read with it
            # ("reports(L_]}"), which the search beside the label then finds.
            if adjacent and _WORD_WITH_BOX.match(word.text):
                extended.append(word)
            break
        if adjacent:
            extended.append(word)
    return extended


LABEL_SEPARATORS = frozenset("/-–&+")
"""One-character words that join the parts of a label ("X-ray / imaging")."""
_WORD_WITH_BOX = re.compile(r"[^\W\d_]{3,}[\[({|)]")
"""A word of three or more letters with a box's left edge read after it, or
the edge of a circle drawn around the box (")")."""


def _looks_like_box(text: str) -> bool:
    """Return True for OCR's reading of a checkbox: "[_]", "[X]", "x", "O"."""
    letters = sum(c.isalpha() for c in text)
    return len(text) <= 1 or letters <= 1 or text[0] in "[(|{" or text[-1] in "])|}"


def _checkbox_beside(
    ink: np.ndarray, label: BBox, height: float, option: str
) -> CheckboxRegion:
    """Find the square just left of a label, or else just right of it.

    OCR sometimes reads the box and its mark as part of the label's first
    or last word, so each search reaches a little into the label's box.
    """
    reach = int(CHECKBOX_SEARCH_LABEL_HEIGHTS * height)
    top, bottom = int(label[1] - 0.8 * height), int(label[3] + 0.8 * height)
    sides = (
        ((max(0, label[0] - reach), top, label[0] + int(1.5 * height), bottom), True),
        ((label[2] - int(2.5 * height), top, label[2] + reach, bottom), False),
    )
    for search, left_side in sides:
        found = find_checkboxes(ink, search, int(0.9 * height), int(2.6 * height))
        if found:
            nearest = max if left_side else min
            box = nearest(found, key=lambda b: b[0])
            return CheckboxRegion(option, box, label, search)
    return CheckboxRegion(option, None, label, sides[0][0])


def _box_of(words: list[Word] | tuple[Word, ...]) -> BBox:
    return union_boxes([word.bbox for word in words])


def _distance(a: BBox, b: BBox) -> float:
    return abs(a[0] - b[0]) + abs(a[1] - b[1]) + abs(a[2] - b[2]) + abs(a[3] - b[3])


def _sorted_by_distance(
    options: list[list[Word]], anchor: FieldRegion
) -> list[list[Word]]:
    x, y = anchor.region[2], anchor.region[3]

    def distance(words: list[Word]) -> float:
        box = _box_of(words)
        return abs(box[0] - x) + 2 * abs(box[1] - y)

    return sorted(options, key=distance)


def _same_band(region: FieldRegion, signature: FieldRegion, height: float) -> bool:
    """Return True when a date area sits level with the signature line."""
    tolerance = 3 * max(height, 1.0)
    return (
        abs(region.region[3] - signature.region[3]) <= tolerance
        and region.region[0] >= signature.region[0]
    )
