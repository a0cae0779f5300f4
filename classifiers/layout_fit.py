"""Fit a registered form layout to a scanned page.

A layout gives every printed element's box in PDF points from the page's
top left. To find those boxes on a scan, the blank form is drawn once with
reportlab and its words are read back with pdfplumber (the *template*).
Template words are matched to the page's OCR words by their text. RANSAC
over pairs of words that occur once on both proposes a similarity (scale,
a small rotation and an offset). An affine transform is then refined by
least squares on the words that agree with it. The rotation absorbs skew
that normalization left on the page, up to ``MAX_ROTATION_DEGREES``.

A fit is trusted only when many words agree and the agreeing words are
spread over the page. A different edition of the same form shares the
header and much wording, which can line up in one band of the page only.

Known limits: a page scaled unevenly (a fax stretched only in part) fits
with larger residuals; a form photographed in perspective does not fit.
"""

from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pdfplumber
from rapidfuzz import fuzz, process
from reportlab.pdfgen.canvas import Canvas

from classifiers.dates import fold_text
from intake.forms import Box, Layout, all_layouts, load_layout
from intake.forms.render import draw_layout
from intake.types import BBox, Page

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0
MIN_KEY_LENGTH = 3
"""Shorter words ("of", "to") match too many places to anchor a fit."""
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_SCORE = 85.0
TOLERANCE_POINTS = 6.0
"""Maximum distance, in points, between a word and where the fit puts it."""
MIN_ANCHOR_SPREAD_POINTS = 80.0
MAX_ANCHORS = 60
SCALE_RANGE = (0.6, 1.5)
"""Allowed fitted scale relative to the page's nominal dpi / 72."""
MAX_ASPECT_DIFFERENCE = 0.08
"""Largest allowed |sx / sy - 1|: the page has square pixels."""
MAX_ROTATION_DEGREES = 5.0
"""Largest skew left on a page that a fit absorbs."""
BANDS = 6
"""Horizontal bands the page is cut into to judge how spread a fit is."""

MIN_INLIERS = 15
MIN_INLIER_RATIO = 0.55
MIN_BAND_COVERAGE = 0.65


@dataclass(frozen=True)
class TemplateWord:
    """A printed word of a blank form, in points, with its element."""

    key: str
    """Folded text without punctuation, the matching key."""
    box: Box
    element_id: str | None


@dataclass(frozen=True)
class Template:
    """A layout with the positions of all its printed words."""

    layout: Layout
    words: tuple[TemplateWord, ...]


@dataclass(frozen=True)
class LayoutFit:
    """A layout placed on a page: the transform and how well it agrees."""

    layout: Layout
    matrix: tuple[float, float, float, float, float, float]
    """Affine map (a, b, c, d, e, f): x = a*X + b*Y + c, y = d*X + e*Y + f,
    from layout points (X, Y) to page pixels (x, y)."""
    inliers: int
    candidates: int
    """Template words that had at least one same-text word on the page."""
    band_coverage: float
    """Share of the layout's text bands that have agreeing words (0-1)."""
    residual: float
    """Root-mean-square distance of the agreeing words, in page pixels."""
    inlier_elements: frozenset[str]
    """Ids of the elements whose label words agreed with the fit."""

    @property
    def inlier_ratio(self) -> float:
        """Agreeing words as a share of the words that could be matched."""
        return self.inliers / max(1, self.candidates)

    @property
    def trusted(self) -> bool:
        """Whether the fit is good enough to read elements through it."""
        return (
            self.inliers >= MIN_INLIERS
            and self.inlier_ratio >= MIN_INLIER_RATIO
            and self.band_coverage >= MIN_BAND_COVERAGE
        )

    @property
    def quality(self) -> float:
        """A 0-1 score that orders fits of different layouts to one page."""
        return self.inlier_ratio * self.band_coverage * min(1.0, self.inliers / 40)

    @property
    def scale(self) -> float:
        """Mean page pixels per layout point."""
        a, b, _, d, e, _ = self.matrix
        return (math.hypot(a, d) + math.hypot(b, e)) / 2

    @property
    def rotation(self) -> float:
        """Rotation of the layout on the page, in degrees (positive clockwise)."""
        a, _, _, d, _, _ = self.matrix
        return math.degrees(math.atan2(d, a))

    def to_point(self, x: float, y: float) -> tuple[float, float]:
        """Map one point from layout points to page pixels."""
        a, b, c, d, e, f = self.matrix
        return a * x + b * y + c, d * x + e * y + f

    def to_page(self, box: Box) -> BBox:
        """Map a box in layout points to the page-pixel box around its image."""
        left, top, right, bottom = box
        corners = [self.to_point(x, y) for x in (left, right) for y in (top, bottom)]
        xs = [x for x, _ in corners]
        ys = [y for _, y in corners]
        return round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys))

    def points_to_pixels(self, length: float) -> float:
        """Convert a length in points to page pixels."""
        return length * self.scale


def word_key(text: str) -> str:
    """Return the matching key of a word: folded, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", fold_text(text))


@lru_cache(maxsize=32)
def load_template(form_id: str) -> Template:
    """Draw the blank form of ``form_id`` and collect its printed words."""
    layout = load_layout(form_id)
    with pdfplumber.open(io.BytesIO(render_blank_pdf(layout))) as pdf:
        raw_words = pdf.pages[0].extract_words()
    words = []
    for raw in raw_words:
        key = word_key(raw["text"])
        if not key:
            continue
        box = (raw["x0"], raw["top"], raw["x1"], raw["bottom"])
        words.append(TemplateWord(key, box, _owning_element(layout, box)))
    return Template(layout, tuple(words))


def render_blank_pdf(layout: Layout) -> bytes:
    """Return the blank form as a one-page PDF."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page_size, invariant=1)
    draw_layout(canvas, layout)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def registered_layouts() -> list[Layout]:
    """Return the layouts the pipeline may use (held-out editions excluded)."""
    return all_layouts(include_held_out=False)


def fit_best_layout(
    page: Page, layouts: list[Layout] | None = None
) -> LayoutFit | None:
    """Fit every candidate layout to ``page`` and return the best trusted fit."""
    if layouts is None:
        layouts = registered_layouts()
    fits = [fit_layout(layout, page) for layout in layouts]
    trusted = [fit for fit in fits if fit is not None and fit.trusted]
    if not trusted:
        return None
    best = max(trusted, key=lambda fit: fit.quality)
    log.debug(
        "page %s fits %s with %d inliers",
        page.number,
        best.layout.form_id,
        best.inliers,
    )
    return best


def fit_layout(layout: Layout, page: Page) -> LayoutFit | None:
    """Fit one layout to one page, or return None when too little matches."""
    template = load_template(layout.form_id)
    pairs = _candidate_pairs(template, page)
    if len(pairs.template_index) < 4:
        return None
    nominal = page.dpi / POINTS_PER_INCH
    model = _ransac(pairs, nominal)
    if model is None:
        return None
    for _ in range(2):
        inliers = _inliers(pairs, model, nominal)
        if inliers.sum() < 6:
            return None
        refined = _least_squares(pairs, inliers)
        if refined is None or not _plausible(refined[None, :], nominal)[0]:
            break
        model = refined
    return _describe_fit(template, pairs, model, nominal)


@dataclass
class _Pairs:
    """Candidate (template word, page word) pairs with the same text."""

    template_index: np.ndarray
    template_xy: np.ndarray
    page_xy: np.ndarray
    anchor: np.ndarray
    """True for pairs whose text occurs once in the template and on the page."""


def _candidate_pairs(template: Template, page: Page) -> _Pairs:
    page_keys: dict[str, list[int]] = {}
    for index, word in enumerate(page.words):
        key = word_key(word.text)
        if len(key) >= MIN_KEY_LENGTH:
            page_keys.setdefault(key, []).append(index)
    template_counts: dict[str, int] = {}
    for word in template.words:
        template_counts[word.key] = template_counts.get(word.key, 0) + 1

    rows: list[tuple[int, float, float, float, float, bool]] = []
    for t_index, t_word in enumerate(template.words):
        if len(t_word.key) < MIN_KEY_LENGTH:
            continue
        matches = _matching_page_words(t_word.key, page_keys)
        unique = template_counts[t_word.key] == 1 and len(matches) == 1
        tx, ty = _center(t_word.box)
        for p_index in matches:
            px, py = _center(page.words[p_index].bbox)
            rows.append((t_index, tx, ty, px, py, unique))
    array = np.array(rows, dtype=float).reshape(-1, 6)
    return _Pairs(
        template_index=array[:, 0].astype(int),
        template_xy=array[:, 1:3],
        page_xy=array[:, 3:5],
        anchor=array[:, 5].astype(bool),
    )


def _matching_page_words(key: str, page_keys: dict[str, list[int]]) -> list[int]:
    if key in page_keys:
        return page_keys[key]
    if len(key) < FUZZY_MIN_LENGTH:
        return []
    best = process.extractOne(
        key, list(page_keys), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
    )
    return page_keys[best[0]] if best else []


def _ransac(pairs: _Pairs, nominal: float) -> np.ndarray | None:
    """Return the affine matrix (a, b, c, d, e, f) most pairs agree on.

    Each hypothesis is the similarity that maps one anchor pair onto
    another: with points as complex numbers, page = k * template + t.
    """
    anchors = np.flatnonzero(pairs.anchor)
    if len(anchors) > MAX_ANCHORS:
        anchors = anchors[np.linspace(0, len(anchors) - 1, MAX_ANCHORS).astype(int)]
    first, second = np.triu_indices(len(anchors), k=1)
    a, b = anchors[first], anchors[second]
    template = pairs.template_xy[:, 0] + 1j * pairs.template_xy[:, 1]
    page = pairs.page_xy[:, 0] + 1j * pairs.page_xy[:, 1]
    t_delta = template[a] - template[b]
    spread = np.abs(t_delta) >= MIN_ANCHOR_SPREAD_POINTS
    if not spread.any():
        return None
    a, b, t_delta = a[spread], b[spread], t_delta[spread]
    k = (page[a] - page[b]) / t_delta
    t = page[a] - k * template[a]
    models = np.column_stack([k.real, -k.imag, t.real, k.imag, k.real, t.imag])
    models = models[_plausible(models, nominal)]
    if len(models) == 0:
        return None
    counts = np.array([_inliers(pairs, model, nominal).sum() for model in models])
    return models[int(np.argmax(counts))]


def _plausible(models: np.ndarray, nominal: float) -> np.ndarray:
    """Keep transforms with a believable scale, near-square pixels, small rotation."""
    low, high = SCALE_RANGE[0] * nominal, SCALE_RANGE[1] * nominal
    sx = np.hypot(models[:, 0], models[:, 3])
    sy = np.hypot(models[:, 1], models[:, 4])
    in_range = (sx >= low) & (sx <= high) & (sy >= low) & (sy <= high)
    square = np.abs(sx / np.where(sy == 0, 1e-9, sy) - 1) <= MAX_ASPECT_DIFFERENCE
    angle = np.degrees(np.abs(np.arctan2(models[:, 3], models[:, 0])))
    return in_range & square & (angle <= MAX_ROTATION_DEGREES)


def _predict(pairs: _Pairs, model: np.ndarray) -> np.ndarray:
    a, b, c, d, e, f = model
    x, y = pairs.template_xy[:, 0], pairs.template_xy[:, 1]
    return np.column_stack([a * x + b * y + c, d * x + e * y + f])


def _inliers(pairs: _Pairs, model: np.ndarray, nominal: float) -> np.ndarray:
    distance = np.abs(_predict(pairs, model) - pairs.page_xy)
    tolerance = TOLERANCE_POINTS * nominal
    return np.all(distance <= tolerance, axis=1)


def _least_squares(pairs: _Pairs, inliers: np.ndarray) -> np.ndarray | None:
    template, page = pairs.template_xy[inliers], pairs.page_xy[inliers]
    if np.ptp(template[:, 0]) < MIN_ANCHOR_SPREAD_POINTS:
        return None
    if np.ptp(template[:, 1]) < MIN_ANCHOR_SPREAD_POINTS:
        return None
    design = np.column_stack([template, np.ones(len(template))])
    solution, *_ = np.linalg.lstsq(design, page, rcond=None)
    (a, d), (b, e), (c, f) = solution
    return np.array([a, b, c, d, e, f])


def _describe_fit(
    template: Template, pairs: _Pairs, model: np.ndarray, nominal: float
) -> LayoutFit:
    inliers = _inliers(pairs, model, nominal)
    matched_words = set(pairs.template_index[inliers].tolist())
    candidate_words = set(pairs.template_index.tolist())
    distance = _predict(pairs, model)[inliers] - pairs.page_xy[inliers]
    residual = (
        float(np.sqrt((distance**2).sum(axis=1).mean())) if inliers.any() else 0.0
    )
    elements = frozenset(
        template.words[i].element_id
        for i in matched_words
        if template.words[i].element_id is not None
    )
    matrix = tuple(float(v) for v in model)
    return LayoutFit(
        layout=template.layout,
        matrix=matrix,  # type: ignore[arg-type]
        inliers=len(matched_words),
        candidates=len(candidate_words),
        band_coverage=_band_coverage(template, matched_words),
        residual=residual,
        inlier_elements=elements,  # type: ignore[arg-type]
    )


def _band_coverage(template: Template, matched: set[int]) -> float:
    height = template.layout.page_size[1]
    bands_with_text = {_band(word.box, height) for word in template.words}
    bands_matched = {_band(template.words[i].box, height) for i in matched}
    return len(bands_matched) / max(1, len(bands_with_text))


def _band(box: Box, page_height: float) -> int:
    return min(BANDS - 1, int(_center(box)[1] / page_height * BANDS))


def _center(box: Box | BBox) -> tuple[float, float]:
    left, top, right, bottom = box
    return (left + right) / 2, (top + bottom) / 2


def _owning_element(layout: Layout, box: Box) -> str | None:
    """Return the id of the element whose label contains the word's center."""
    x, y = _center(box)
    for element in layout.elements:
        label_box = element.label_box or element.box
        left, top, right, bottom = label_box
        if left - 1 <= x <= right + 1 and top - 2 <= y <= bottom + 2:
            return element.id
    return None
