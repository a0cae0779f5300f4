"""Measure pen marks on page images with OpenCV: checkboxes and signatures.

This is the one module that calls OpenCV. Every function takes an *ink
map*: a uint8 array the size of the page where 255 is ink and 0 is paper
(``ink_map`` makes one from a grayscale page), and boxes in page pixels as
(left, top, right, bottom).

Fax speckle is removed by dropping connected components smaller than a
dot of a pen stroke. Long straight printed rules (fill lines, box borders)
are removed by morphological opening. What is left in a region is then
what a person wrote there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from classifiers.lines import union_boxes
from intake.types import BBox

INK_THRESHOLD_RANGE = (90, 200)
"""Bounds for the Otsu threshold: a nearly blank page makes Otsu unstable."""
NARROW_SURROUND = (0.45, 0.5)
"""Reach of the bands that find a circle around a box, in box sides: to the
right (toward the label), and up and down (toward the next boxes)."""
WIDE_SURROUND = (0.8, 0.75)
"""The reach once the label's print and the neighbouring boxes' marks are
left out, so a wider circle is seen."""
STROKE_BRIDGE = 0.17
"""Half the gap, in box sides, bridged between pieces of one pen stroke
once the box's border is erased from under it."""
RULE_TILT = 3
"""Pixels a printed rule may step up or down and still be found as one
line: about 2 degrees of residual skew over a 250-pixel run."""


@dataclass(frozen=True)
class BoxMark:
    """How much a checkbox's interior is inked."""

    box: BBox
    """The box's outer edge in page pixels."""
    fill: float
    """Fraction of interior pixels that are ink, border excluded (0-1)."""
    outside: float
    """Fraction of a ring just outside the box that is ink (stray marks)."""
    surround: int = 0
    """Sides of the box (0-4) with pen ink just beyond them: 3 or 4 when
    the box was circled rather than ticked."""
    stroke: float = 0.0
    """Extent, in box sides, of the longest pen stroke that touches the box
    and lies nearer it than any neighbour. A tick drawn low and to one side
    leaves the inside empty, but is most of a side long."""
    nearby: int = 0
    """Sides of the box with pen ink just beyond them before the neighbours'
    marks are left out. A circle drawn off centre may touch the next box and
    be taken for its mark, so such ink keeps an empty-looking box unsure."""


@dataclass(frozen=True)
class InkMeasure:
    """The handwriting left in a region once printed rules and specks are gone."""

    ink: float
    """Fraction of the region's pixels that are ink."""
    pixels: int
    components: int
    """Connected pieces of ink large enough to be pen strokes."""
    span: float
    """Horizontal extent of the ink as a fraction of the region width."""
    height: float
    """Vertical extent of the ink as a fraction of the region height."""
    bbox: BBox | None
    """Box around the remaining ink, in page pixels."""


def ink_map(image: Image.Image) -> np.ndarray:
    """Binarize a grayscale page: 255 where there is ink, 0 for paper."""
    gray = np.asarray(image.convert("L"))
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    low, high = INK_THRESHOLD_RANGE
    threshold = min(max(otsu, low), high)
    return np.where(gray < threshold, 255, 0).astype(np.uint8)


def ink_share(image: Image.Image, min_speck: int = 4) -> float:
    """Return the share of a page's pixels that are ink, specks dropped.

    Ink that touches the edge of the page is left out too. The shadow of
    the scanner lid or of the paper's edge, and the black margin a deskew
    leaves, run along the border, while writing and print stay inside it.
    The page is halved in each direction first; the share barely changes
    and the count is four times faster.
    """
    small = image.convert("L").reduce(2)
    ink = remove_specks(ink_map(small), min_speck)
    return float(np.count_nonzero(_without_border_ink(ink))) / max(1, ink.size)


def _without_border_ink(ink: np.ndarray) -> np.ndarray:
    """Return ``ink`` without the connected components that touch its border."""
    if ink.size == 0:
        return ink
    count, labels, _, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    edge = np.concatenate((labels[0], labels[-1], labels[:, 0], labels[:, -1]))
    touching = np.zeros(count, dtype=bool)
    touching[np.unique(edge)] = True
    touching[0] = False
    return np.where(touching[labels], 0, ink).astype(np.uint8)


def clip_box(box: BBox, shape: tuple[int, ...]) -> BBox:
    """Clip ``box`` to an array of ``shape`` (rows, columns)."""
    left, top, right, bottom = box
    height, width = shape[:2]
    left, right = max(0, min(left, width)), max(0, min(right, width))
    top, bottom = max(0, min(top, height)), max(0, min(bottom, height))
    return left, top, max(left, right), max(top, bottom)


def crop(ink: np.ndarray, box: BBox) -> np.ndarray:
    """Return a copy of the part of ``ink`` inside ``box``."""
    left, top, right, bottom = clip_box(box, ink.shape)
    return ink[top:bottom, left:right].copy()


def remove_specks(ink: np.ndarray, min_area: int) -> np.ndarray:
    """Drop connected ink components of fewer than ``min_area`` pixels."""
    if ink.size == 0:
        return ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def remove_rules(
    ink: np.ndarray, min_length: int, thickness: int = 1, tilt: int = RULE_TILT
) -> np.ndarray:
    """Erase horizontal and vertical straight lines of ``min_length`` or more.

    Args:
        ink: Ink map of a region.
        min_length: Shortest run, in pixels, that counts as a printed rule.
        thickness: Extra pixels erased around each rule, for antialiasing.
        tilt: Pixels a rule may drift across its width (see ``find_rules``).
    """
    if ink.size == 0 or min_length < 2:
        return ink
    rules = find_rules(ink, min_length, tilt)
    if thickness > 0:
        kernel = np.ones((2 * thickness + 1, 2 * thickness + 1), np.uint8)
        rules = cv2.dilate(rules, kernel)
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules))


def find_rules(ink: np.ndarray, min_length: int, tilt: int = 0) -> np.ndarray:
    """Return an ink map of only the straight horizontal and vertical runs.

    With ``tilt`` > 0 the ink is first thickened by ``tilt`` pixels across
    each direction, so a rule that steps by a pixel every so often (a page
    skewed by a degree or two) still forms one long run; only pixels that
    were ink to begin with are returned.
    """
    lines_h, lines_v = _rules_by_direction(ink, min_length, tilt)
    return cv2.bitwise_and(cv2.bitwise_or(lines_h, lines_v), ink)


def _rules_by_direction(
    ink: np.ndarray, min_length: int, tilt: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return the horizontal and the vertical runs of ``find_rules`` apart."""
    horizontal = cv2.getStructuringElement(cv2.MORPH_RECT, (min_length, 1))
    vertical = cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_length))
    # Bridge the small gaps of a fax's broken lines before measuring runs.
    source_h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, 7), np.uint8))
    source_v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((7, 1), np.uint8))
    if tilt > 0:
        source_h = cv2.dilate(source_h, np.ones((2 * tilt + 1, 1), np.uint8))
        source_v = cv2.dilate(source_v, np.ones((1, 2 * tilt + 1), np.uint8))
    lines_h = cv2.morphologyEx(source_h, cv2.MORPH_OPEN, horizontal)
    lines_v = cv2.morphologyEx(source_v, cv2.MORPH_OPEN, vertical)
    return lines_h, lines_v


def find_horizontal_lines(
    ink: np.ndarray, region: BBox, min_length: int, max_break: int = 0
) -> list[BBox]:
    """Find printed horizontal rules (fill lines) in ``region``.

    Args:
        ink: Page ink map.
        region: Where to look, in page pixels.
        min_length: Shortest rule, in pixels.
        max_break: Widest break, in pixels, to follow a found rule through.
            A thin, slightly tilted rule on a fax can break where it steps
            from one scan row to the next, and the pieces past the breaks
            are part of the same rule. 0 follows none.

    Returns:
        Boxes of the rules in page pixels, longest first. Small gaps (a
        broken fax line) are bridged before measuring length.
    """
    left, top, _, _ = clip_box(region, ink.shape)
    part = crop(ink, region)
    if part.size == 0 or min_length < 2:
        return []
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1))
    closed = cv2.morphologyEx(part, cv2.MORPH_CLOSE, bridge)
    thick = cv2.dilate(closed, np.ones((2 * RULE_TILT + 1, 1), np.uint8))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min_length, 1))
    lines = cv2.bitwise_and(cv2.morphologyEx(thick, cv2.MORPH_OPEN, kernel), closed)
    contours, _ = cv2.findContours(
        _join_line_pieces(lines), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    boxes: list[BBox] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if h > max(6, w // 8) or _is_dotted(part, (x, y, x + w, y + h)):
            continue
        found = (x, y, x + w, y + h)
        if max_break > 0:
            found = _through_breaks(closed, found, max_break)
        box = (left + found[0], top + found[1], left + found[2], top + found[3])
        # Two pieces of one broken rule both grow into that rule.
        if not any(_same_box(box, other) for other in boxes):
            boxes.append(box)
    return sorted(boxes, key=lambda box: box[0] - box[2])


def _through_breaks(part: np.ndarray, rule: BBox, max_break: int) -> BBox:
    """Return ``rule`` lengthened over the pieces of it past short breaks.

    A piece is a straight run at least ``max_break`` long in the rule's own
    rows. Printed letters beside the rule rarely have a run that long there.
    """
    x0, y0, x1, y1 = rule
    rows = part[max(0, y0 - 1) : y1 + 1]
    runs = cv2.morphologyEx(rows, cv2.MORPH_OPEN, np.ones((1, max_break), np.uint8))
    inked = np.flatnonzero(np.count_nonzero(runs, axis=0))
    for column in inked[::-1]:
        if column < x0 and x0 - column <= max_break:
            x0 = int(column)
    for column in inked:
        if column >= x1 and column - x1 < max_break:
            x1 = int(column) + 1
    return (x0, y0, x1, y1)


MIN_SOLID_SHARE = 0.5
"""Minimum share of a found line's ink in solid horizontal runs for the
line to count as a rule. A printed rule is solid, even when tilted. The
edge of a shaded band, which a fax or a bilevel scan renders as rows of
dots, is not."""
SOLID_RUN = 10
"""Shortest horizontal run of ink, in pixels, that counts as solid."""
MIN_RULE_ROW = 0.7
"""Ink share of a found line's densest row at which the line is a rule,
whatever its runs. A fine-mode fax breaks a rule into short dashes that
still cover most of its row, while the dotted rows of a shaded band
cover a third to a half."""


def _is_dotted(part: np.ndarray, line: BBox) -> bool:
    """Return True when a found line is rows of dots rather than a rule.

    The grey band behind a section title comes out of a fax as dotted
    rows, and closing joins them into what looks like a fill line.
    """
    left, top, right, bottom = line
    rows = part[top:bottom, left:right]
    pixels = np.count_nonzero(rows)
    if pixels == 0:
        return False
    densest = np.count_nonzero(rows, axis=1).max() / max(1, right - left)
    if densest >= MIN_RULE_ROW:
        return False
    solid = cv2.morphologyEx(rows, cv2.MORPH_OPEN, np.ones((1, SOLID_RUN), np.uint8))
    return np.count_nonzero(solid) / pixels < MIN_SOLID_SHARE


def _join_line_pieces(lines: np.ndarray) -> np.ndarray:
    """Close the small gaps in a rule: the steps of a slightly tilted one, and
    the white columns a fax's dead sensor elements leave through every
    line (up to about 14 pixels wide)."""
    return cv2.morphologyEx(lines, cv2.MORPH_CLOSE, np.ones((3, 15), np.uint8))


def find_checkboxes(
    ink: np.ndarray, region: BBox, min_side: int, max_side: int
) -> list[BBox]:
    """Find square outlines with sides between ``min_side`` and ``max_side``.

    The outline is found from its straight sides alone, so a tick or cross
    inside (or spilling out of) the box does not hide it, and a box drawn
    as a filled square is found too.

    Returns:
        Boxes in page pixels, ordered left to right.
    """
    left, top, _, _ = clip_box(region, ink.shape)
    part = crop(ink, region)
    if part.size == 0:
        return []
    side = max(3, int(min_side * 0.6))
    frame = find_rules(part, side)
    frame = cv2.dilate(frame, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(frame, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[BBox] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        rect = (x, y, x + w, y + h)
        square = _square_edges(part, rect)
        if square is not None and _is_box(part, square, min_side, max_side):
            found = [square]
        else:
            # A pen circle or stroke touching the box joins them into one
            # shape, whose outline is no longer the box's.
            found = _squares_by_sides(part, rect, side, min_side, max_side)
        for sl, st, sr, sb in found:
            box = (left + sl, top + st, left + sr, top + sb)
            if not any(_same_box(box, other) for other in boxes):
                boxes.append(box)
    return sorted(boxes)


def _is_box(part: np.ndarray, square: BBox, min_side: int, max_side: int) -> bool:
    """Return True when ``square`` is a checkbox's size and shape, fully drawn."""
    sl, st, sr, sb = square
    if not (min_side <= sr - sl <= max_side and min_side <= sb - st <= max_side):
        return False
    if not 0.75 <= (sr - sl) / (sb - st) <= 1.33:
        return False
    return _outline_coverage(part, square) >= 0.7


def _squares_by_sides(
    part: np.ndarray, rect: BBox, min_run: int, min_side: int, max_side: int
) -> list[BBox]:
    """Find checkboxes inside ``rect`` from pairs of straight vertical sides.

    A box's left and right sides are straight runs of about its height.
    Between them, its top and bottom are the outermost rows that straight
    horizontal runs cover for most of the width. A pen line crossing or
    touching the box bends, so it adds no such run to the box's rows.
    """
    x0, y0, x1, y1 = rect
    sub = part[y0:y1, x0:x1]
    lines_h, lines_v = _rules_by_direction(sub, min_run)
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines_v, connectivity=8)
    sides = [
        (int(x), int(y), int(x + w), int(y + h)) for x, y, w, h, _ in stats[1:count]
    ]
    tolerance = max(2, min_side // 8)
    squares: list[BBox] = []
    for first in sides:
        for second in sides:
            width = second[2] - first[0]
            if second[0] <= first[2] or not min_side <= width <= max_side:
                continue
            upper, lower = max(first[1], second[1]), min(first[3], second[3])
            if lower - upper < 0.75 * width:
                continue
            band = lines_h[
                max(0, upper - tolerance) : lower + tolerance, first[0] : second[2]
            ]
            rows = np.flatnonzero(np.count_nonzero(band, axis=1) >= 0.6 * width)
            # Runs of adjacent rows are drawn sides: one box's top and
            # bottom, or the sides of boxes stacked on the same two lines.
            drawn = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
            start = max(0, upper - tolerance)
            for index, upper_side in enumerate(drawn):
                for lower_side in drawn[index + 1 :]:
                    top, bottom = start + upper_side[0], start + lower_side[-1] + 1
                    square = (first[0], int(top), second[2], int(bottom))
                    if _is_box(sub, square, min_side, max_side):
                        sl, st, sr, sb = square
                        squares.append((x0 + sl, y0 + st, x0 + sr, y0 + sb))
                        # The nearest lower side that closes a box is its own.
                        break
    return _squarest_apart(squares)


def _squarest_apart(squares: list[BBox]) -> list[BBox]:
    """Keep, of squares that overlap, the one closest to a true square.

    A pen stroke across a box's lower part can pass for a second bottom
    side, making a taller shape over the same box.
    """
    chosen: list[BBox] = []
    for square in sorted(squares, key=_squareness):
        if not any(_shared_area(square, other) > 0.5 for other in chosen):
            chosen.append(square)
    return chosen


def _squareness(box: BBox) -> float:
    """Return how far a box's sides are from equal, 0 for a true square."""
    return abs(np.log((box[2] - box[0]) / max(1, box[3] - box[1])))


def _shared_area(a: BBox, b: BBox) -> float:
    """Return the shared area of two boxes over the smaller one's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(1, smaller)


def _square_edges(part: np.ndarray, rect: BBox) -> BBox | None:
    """Return the box drawn inside ``rect``: its outermost near-full rows and columns.

    A tick or cross that spills past the corners widens the shape's bounding
    rectangle, but only the printed sides fill most of a row or column.
    """
    x0, y0, x1, y1 = rect
    sub = part[y0:y1, x0:x1]
    if sub.size == 0:
        return None
    rows = np.flatnonzero(np.count_nonzero(sub, axis=1) >= 0.6 * sub.shape[1] * 0.75)
    cols = np.flatnonzero(np.count_nonzero(sub, axis=0) >= 0.6 * sub.shape[0] * 0.75)
    if len(rows) < 2 or len(cols) < 2:
        return None
    return (
        x0 + int(cols[0]),
        y0 + int(rows[0]),
        x0 + int(cols[-1]) + 1,
        y0 + int(rows[-1]) + 1,
    )


def measure_box(
    ink: np.ndarray,
    box: BBox,
    min_speck: int = 4,
    neighbours: Sequence[BBox] = (),
    labels: Sequence[BBox] = (),
) -> BoxMark:
    """Measure the ink inside a checkbox, leaving out its printed border.

    The interior is the box shrunk by about a fifth of its side, which
    clears a border a few pixels thick even when the box was found a pixel
    or two off.

    Args:
        ink: Page ink map.
        box: The checkbox's outer edge in page pixels.
        min_speck: Components smaller than this many pixels are noise.
        neighbours: Other checkboxes of the same list. A stroke that
            reaches into one of them, and not into this box, is that box's
            mark and is left out of the ink around this one, unless it
            encloses this box (a circle drawn around it).
        labels: Boxes of printed label text near the box. Their ink is
            print, not a pen mark, so it is left out too; the box itself
            is kept even where OCR counted its border as part of a label.
    """
    left, top, right, bottom = box
    side = min(right - left, bottom - top)
    inset = max(2, round(side * 0.2))
    inner = (left + inset, top + inset, right - inset, bottom - inset)
    unassigned = ink
    if neighbours:
        unassigned = _without_labels(ink, box, labels) if labels else ink
        ink = _without_neighbour_marks(ink, box, inner, neighbours, side)
    if labels:
        ink = _without_labels(ink, box, labels)
    interior = remove_specks(crop(ink, inner), min_speck)
    fill = float(np.count_nonzero(interior)) / max(1, interior.size)
    outside = _ring_ink(ink, box, side, min_speck)
    reach = WIDE_SURROUND if (neighbours and labels) else NARROW_SURROUND
    surround = _surrounding_sides(ink, box, side, min_speck, reach)
    stroke = _stroke_at(ink, box, side, min_speck, neighbours)
    nearby = surround
    if neighbours:
        nearby = _surrounding_sides(unassigned, box, side, min_speck)
    return BoxMark(box, fill, outside, surround, stroke, nearby)


def _without_neighbour_marks(
    ink: np.ndarray,
    box: BBox,
    inner: BBox,
    neighbours: Sequence[BBox],
    side: int,
) -> np.ndarray:
    """Return a copy of ``ink`` without the neighbouring boxes and their marks.

    A stroke belongs to a neighbour when it reaches the neighbour's
    interior or encloses the neighbour, and does not reach this box's
    interior or enclose this box. The neighbours' own squares are blanked
    too, so their borders do not count as ink around this box.
    """
    left, top, right, bottom = box
    # The window takes in every neighbour with a margin of one side, so a
    # circle around a neighbour is seen whole.
    reach = [(left - 2 * side, top - 2 * side, right + 2 * side, bottom + 2 * side)]
    reach += [(o[0] - side, o[1] - side, o[2] + side, o[3] + side) for o in neighbours]
    window = clip_box(union_boxes(reach), ink.shape)
    wl, wt, wr, wb = window
    part = ink[wt:wb, wl:wr]
    if part.size == 0:
        return ink
    _, labels, stats, _ = cv2.connectedComponentsWithStats(part, connectivity=8)

    def labels_in(area: BBox) -> set[int]:
        al, at, ar, ab = clip_box(area, ink.shape)
        inside = labels[
            max(0, at - wt) : max(0, ab - wt), max(0, al - wl) : max(0, ar - wl)
        ]
        return set(np.unique(inside).tolist()) - {0}

    own = labels_in(inner)
    foreign: set[int] = set()
    for other in neighbours:
        if _same_box(other, box):
            continue
        ol, ot, orr, ob = other
        inset = max(2, round(min(orr - ol, ob - ot) * 0.2))
        foreign |= labels_in((ol + inset, ot + inset, orr - inset, ob - inset))

    # A stroke goes around a box only if it still does with the box's square
    # cut out, because marks above and below a box can join through its border.
    def goes_around(label: int, target: BBox) -> bool:
        if not _encloses(stats[label], target, (wl, wt)):
            return False
        pieces = np.where(labels == label, 255, 0).astype(np.uint8)
        _blank_square(pieces, target, (wl, wt), pad=2)
        _, _, piece_stats, _ = cv2.connectedComponentsWithStats(pieces, connectivity=8)
        return any(_encloses(stat, target, (wl, wt)) for stat in piece_stats[1:])

    for other in neighbours:
        # A circle drawn around a neighbour reaches into no interior.
        if not _same_box(other, box):
            foreign |= {
                label for label in range(1, len(stats)) if goes_around(label, other)
            }
    foreign -= own
    foreign = {label for label in foreign if not goes_around(label, box)}
    cleaned = ink.copy()
    if foreign:
        drop = np.isin(labels, sorted(foreign))
        cleaned[wt:wb, wl:wr][drop] = 0
    for other in neighbours:
        if not _same_box(other, box):
            _blank_square(cleaned, other)
    return cleaned


def _blank_square(
    ink: np.ndarray,
    square: BBox,
    origin: tuple[int, int] = (0, 0),
    pad: int | None = None,
) -> None:
    """Erase a printed square and a margin around it, in place.

    The margin is ``pad`` pixels, by default an eighth of the side: it
    covers a square found a few pixels inside the printed one, as happens
    where a fax dropped part of its border. ``origin`` is the page position
    of ``ink``'s top-left pixel, for an ink map cropped from the page.
    """
    if pad is None:
        pad = max(2, min(square[2] - square[0], square[3] - square[1]) // 8)
    margin = (square[0] - pad, square[1] - pad, square[2] + pad, square[3] + pad)
    left, top, right, bottom = clip_box(_shifted(margin, origin), ink.shape)
    ink[top:bottom, left:right] = 0


def _shifted(box: BBox, origin: tuple[int, int]) -> BBox:
    """Return a page box in the coordinates of a crop whose corner is ``origin``."""
    return (
        box[0] - origin[0],
        box[1] - origin[1],
        box[2] - origin[0],
        box[3] - origin[1],
    )


def _encloses(stat: np.ndarray, box: BBox, origin: tuple[int, int]) -> bool:
    """Return True when a component's bounding box reaches past all four sides of ``box``."""
    x = int(stat[cv2.CC_STAT_LEFT]) + origin[0]
    y = int(stat[cv2.CC_STAT_TOP]) + origin[1]
    width, height = int(stat[cv2.CC_STAT_WIDTH]), int(stat[cv2.CC_STAT_HEIGHT])
    left, top, right, bottom = box
    return x < left and y < top and x + width > right and y + height > bottom


def _without_labels(ink: np.ndarray, box: BBox, labels: Sequence[BBox]) -> np.ndarray:
    """Return a copy of ``ink`` with the label boxes blanked, except over ``box``."""
    cleaned = ink.copy()
    keep = crop(ink, (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2))
    for label in labels:
        ll, lt, lr, lb = clip_box(_beside(label, box), ink.shape)
        cleaned[lt:lb, ll:lr] = 0
    kl, kt, kr, kb = clip_box(
        (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), ink.shape
    )
    cleaned[kt:kb, kl:kr] = keep
    return cleaned


def _beside(label: BBox, box: BBox) -> BBox:
    """Cut a label box back to the side of ``box`` it lies on.

    OCR sometimes joins the printed square to the label's last word
    ("reports[]"), and blanking that whole word box would also erase a
    circle drawn around the square.
    """
    left, top, right, bottom = label
    if left < box[0] < right or left < box[2] < right:
        if (left + right) / 2 < (box[0] + box[2]) / 2:
            right = min(right, box[0] - 2)
        else:
            left = max(left, box[2] + 2)
    return left, top, max(left, right), bottom


def _surrounding_sides(
    ink: np.ndarray,
    box: BBox,
    side: int,
    min_speck: int,
    reach: tuple[float, float] = (0.45, 0.5),
) -> int:
    """Count the sides of a box with pen ink in the band just beyond them.

    ``reach`` gives how far the right band and the top and bottom bands
    reach, in box sides. Straight printed lines are erased first. The top
    and bottom bands start at the box's left edge, so a line or bracket in
    the margin that just passes the box's corners is one side, not three.
    """
    left, top, right, bottom = box
    gap = max(2, side // 8)
    across, along = round(side * reach[0]), round(side * reach[1])
    bands = (
        (left - side, top - side // 3, left - gap, bottom + side // 3),
        (right + gap, top, right + across, bottom),
        (left, top - along, right + side // 3, top - gap),
        (left, bottom + gap, right + side // 3, bottom + along),
    )
    # Printed lines are erased over a window wider than the bands, where a
    # line crossing a band is seen at its full length. The arc of a circle
    # is nearly straight in places, but not for two box sides.
    window = clip_box(
        (left - 2 * side, top - 2 * side, right + 2 * side, bottom + 2 * side),
        ink.shape,
    )
    origin = (window[0], window[1])
    cleaned = remove_rules(crop(ink, window), 2 * side, tilt=0)
    # Other printed boxes nearby, listed as neighbours or not, are print too.
    for other in find_checkboxes(ink, window, round(side * 0.7), round(side * 1.4)):
        if not _same_box(other, box):
            _blank_square(cleaned, other, origin)
    count = 0
    for band in bands:
        part = remove_specks(crop(cleaned, _shifted(band, origin)), min_speck)
        if np.count_nonzero(part) >= max(3, round(side * 0.3)):
            count += 1
    return count


def _stroke_at(
    ink: np.ndarray,
    box: BBox,
    side: int,
    min_speck: int,
    neighbours: Sequence[BBox],
) -> float:
    """Return the extent, in box sides, of the longest stroke at the box.

    The box's border and other printed lines are erased first, and the
    rest is thickened so a stroke cut where it crossed the border is one
    piece again. A stroke counts when its extent comes within a quarter side of
    the box and its centre is nearer this box than any neighbour. Without
    neighbours, whose box a stroke belongs to is unknown, so 0 is returned.
    """
    others = [other for other in neighbours if not _same_box(other, box)]
    if not others or side < 2:
        return 0.0
    left, top, right, bottom = box
    window = clip_box((left - side, top - side, right + side, bottom + side), ink.shape)
    origin = (window[0], window[1])
    part = remove_rules(crop(ink, window), max(4, round(side * 0.7)), tilt=1)
    part = remove_specks(part, min_speck)
    grow = max(1, round(side * STROKE_BRIDGE))
    part = cv2.dilate(part, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    count, _, stats, centres = cv2.connectedComponentsWithStats(part, connectivity=8)
    reach = max(2, side // 4)
    near = _shifted((left - reach, top - reach, right + reach, bottom + reach), origin)
    own_centre = _centre(_shifted(box, origin))
    centres_elsewhere = [_centre(_shifted(other, origin)) for other in others]
    max_extent = 0
    for label in range(1, count):
        x, y, width, height = (int(v) for v in stats[label, :4])
        if x > near[2] or y > near[3] or x + width < near[0] or y + height < near[1]:
            continue
        distance = _distance(centres[label], own_centre)
        if any(_distance(centres[label], c) < distance for c in centres_elsewhere):
            continue
        max_extent = max(max_extent, max(width, height) - 2 * grow)
    return round(max_extent / max(1, side), 3)


def _centre(box: BBox) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _distance(point: Sequence[float], other: Sequence[float]) -> float:
    return float(np.hypot(point[0] - other[0], point[1] - other[1]))


def measure_ink(
    ink: np.ndarray,
    region: BBox,
    ignore: list[BBox] | tuple[BBox, ...] = (),
    rule_length: int = 0,
    min_speck: int = 6,
    polygon: tuple[tuple[int, int], ...] | None = None,
    above: int = 0,
) -> InkMeasure:
    """Measure handwriting in ``region`` once rules, specks and printed words go.

    Args:
        ink: Page ink map.
        region: Where to look, in page pixels.
        ignore: Boxes (page pixels) of printed words to blank out first.
        rule_length: Erase straight lines at least this long; 0 keeps them.
        min_speck: Components smaller than this many pixels are noise.
        polygon: If given, only ink inside these corners (page pixels)
            counts; rules are still found over the whole region.
        above: Height of a band above the region to look into. A stroke
            that crosses the region's top edge from well inside that band
            (the tail of a "g" written on the line above) is left out; 0
            keeps every stroke.
    """
    left, top, right, bottom = clip_box(region, ink.shape)
    reach = top - clip_box((left, top - above, right, bottom), ink.shape)[1]
    part = crop(ink, (left, top - reach, right, bottom))
    for box in ignore:
        bl, bt, br, bb = box
        part[
            max(0, bt - top + reach) : max(0, bb - top + reach),
            max(0, bl - left) : max(0, br - left),
        ] = 0
    if rule_length:
        kept = remove_rules(part, rule_length)
        joined = _rejoin_across_rules(kept, part) if reach else kept
        part = kept
    else:
        joined = part
    if reach:
        part = _without_strokes_from_above(part, joined, reach)
    if polygon is not None:
        mask = np.zeros_like(part)
        corners = np.array([[x - left, y - top] for x, y in polygon], dtype=np.int32)
        cv2.fillPoly(mask, [corners], 255)
        part = cv2.bitwise_and(part, mask)
    part = remove_specks(part, min_speck)
    return _describe_ink(part, (left, top, right, bottom))


def _rejoin_across_rules(kept: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Put back the erased rule pixels next to the ends of pen strokes.

    Erasing a fill line cuts every stroke written across it in two. The
    erased pixels near a cut end are restored from both sides, so the two
    halves meet again even where the stroke crosses the rule at a slant.
    """
    erased = cv2.bitwise_and(before, cv2.bitwise_not(kept))
    # The gap is the rule's own width plus the tilt and antialiasing
    # margins ``remove_rules`` erases on each side of it.
    radius = 2 * RULE_TILT + 4
    grown = cv2.dilate(
        kept,
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)),
    )
    return cv2.bitwise_or(kept, cv2.bitwise_and(grown, erased))


def _without_strokes_from_above(
    part: np.ndarray, joined: np.ndarray, reach: int
) -> np.ndarray:
    """Crop off the top ``reach`` rows, leaving out strokes that come from there.

    Strokes are traced in ``joined``, the ink with the cuts made by rule
    removal mended, and removed from ``part``, the ink that is returned.
    A stroke crossing row ``reach`` belongs to the writing above when it
    starts at least a quarter of the band above that row. The region's
    own writing may touch its top edge, but does not reach far past it.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count > 1:
        below = np.bincount(labels[reach:].ravel(), minlength=count)
        starts_above = stats[:, cv2.CC_STAT_TOP] <= reach - max(1, reach // 4)
        foreign = starts_above & (below > 0)
        foreign[0] = False
        if foreign.any():
            part = np.where(foreign[labels], 0, part).astype(np.uint8)
    return np.ascontiguousarray(part[reach:])


def _describe_ink(part: np.ndarray, region: BBox) -> InkMeasure:
    left, top, right, bottom = region
    pixels = int(np.count_nonzero(part))
    if pixels == 0:
        return InkMeasure(0.0, 0, 0, 0.0, 0.0, None)
    count, _ = cv2.connectedComponents(part, connectivity=8)
    ys, xs = np.nonzero(part)
    bbox = (
        left + int(xs.min()),
        top + int(ys.min()),
        left + int(xs.max()) + 1,
        top + int(ys.max()) + 1,
    )
    width, height = max(1, right - left), max(1, bottom - top)
    return InkMeasure(
        ink=pixels / (width * height),
        pixels=pixels,
        components=count - 1,
        span=(bbox[2] - bbox[0]) / width,
        height=(bbox[3] - bbox[1]) / height,
        bbox=bbox,
    )


def _outline_coverage(part: np.ndarray, box: BBox) -> float:
    """Return how fully the least-inked of the box's four sides is drawn (0-1).

    Each side is a thin band just inside the box, because the box comes
    from a dilated outline and a fax border may be a pixel off. Taking the
    weakest side rejects letters such as "F" or "L" that have only two or
    three straight sides.
    """
    left, top, right, bottom = box
    band = max(2, (right - left) // 10)
    sides = [
        part[top : top + band, left:right].max(axis=0, initial=0),
        part[bottom - band : bottom, left:right].max(axis=0, initial=0),
        part[top:bottom, left : left + band].max(axis=1, initial=0),
        part[top:bottom, right - band : right].max(axis=1, initial=0),
    ]
    return min(float(np.count_nonzero(side)) / max(1, side.size) for side in sides)


def _ring_ink(ink: np.ndarray, box: BBox, side: int, min_speck: int) -> float:
    """Return the ink share of a ring around the box, label side left out.

    The ring reaches far on the left, top and bottom, where a stray tick
    lands, and only a sliver on the right, where the label starts. Straight
    lines (the borders of neighbouring boxes) are erased before counting.
    """
    left, top, right, bottom = box
    margin = max(3, round(side * 0.4))
    outer = (left - margin, top - margin, right + max(2, side // 8), bottom + margin)
    part = remove_rules(crop(ink, outer), max(4, round(side * 0.8)), tilt=0)
    ol, ot, _, _ = clip_box(outer, ink.shape)
    grow = max(2, side // 10)
    part[
        max(0, top - grow - ot) : max(0, bottom + grow - ot),
        max(0, left - grow - ol) : max(0, right + grow - ol),
    ] = 0
    part = remove_specks(part, min_speck)
    ring_area = part.size - (right - left + 2 * grow) * (bottom - top + 2 * grow)
    return float(np.count_nonzero(part)) / max(1, ring_area)


def _same_box(a: BBox, b: BBox) -> bool:
    return all(abs(p - q) <= 4 for p, q in zip(a, b, strict=True))
