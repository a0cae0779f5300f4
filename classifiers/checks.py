"""Check the center's authorization forms: signature, dates and boxes.

Every check reports ``passed`` True (the good outcome), False (confidently
failed) or None (unsure), a confidence, and the page and box of its
evidence. Thresholds sit on the side of review: a mark too faint to call
either way, a box not found, a date that does not parse all give None.

Signature policy. A form is signed when the signing area above the
signature line contains pen strokes once the printed line, the label and
fax specks are removed. On a page read from a PDF text layer, typed words
in the signing area are masked first. Typed text counts as a signature
only when it is an electronic signature mark ("/s/ Ana Ruiz"). Any other
typed text there, with no strokes beside it, is reported as unsure.

Checks that apply per type: both forms get ``signed``, ``signature_date``
and ``representative_authority``; the third-party form also gets
``xray_scan_reports_checked``, ``release_to`` and the HIPAA elements.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from functools import lru_cache

from classifiers.extract import form_regions, read_field
from classifiers.form_regions import (
    CheckboxRegion,
    FieldRegion,
    FormRegions,
    page_ink,
)
from classifiers.lines import PageText, union_boxes
from classifiers.marks import BoxMark, InkMeasure, measure_box, measure_ink
from classifiers.nlp import PhraseFinder
from intake.types import Check, Document, Page

log = logging.getLogger(__name__)

FORM_TYPES = ("release_images", "third_party_release")

GUESSED_AREA_CONFIDENCE = 0.6
"""Highest confidence of a check read from an area placed by its label
alone, with no fill line found: below what ``intake.decide`` acts on."""
BOX_TICKED_FILL = 0.07
"""Interior ink share at and above which a box counts as marked."""
BOX_EMPTY_FILL = 0.02
"""Interior ink share at and below which a box counts as empty."""
BOX_STRAY_OUTSIDE = 0.04
"""Ink share in the ring around an empty box that makes it unsure."""
CIRCLED_SIDES = 3
"""Sides with ink around an empty box that make it a circled (marked) box."""
TICK_BESIDE_STROKE = 0.7
"""Length, in box sides, of a stroke at an otherwise unsure box that makes
it a tick drawn beside the square rather than in it."""
TICK_BESIDE_CONFIDENCE = 0.7
"""Confidence of such a reading: under what ``intake.decide`` acts on, so
the document goes to review with the box shown as probably ticked."""

SIGNED_MIN_INK = 0.005
"""Share of the signing area that strokes must cover to count as signed."""
SIGNED_MIN_SPAN = 0.1
"""Share of the line's width the strokes must extend over."""
UNSIGNED_MAX_INK = 0.0012

RELEASER_PHRASES = {
    "authorize": [
        "i authorize",
        "i hereby authorize",
        "i request and authorize",
        "authorize",
        "autorizo",
        "por la presente autorizo",
        "solicito y autorizo",
    ],
    "release": [
        "to release",
        "to disclose",
        "release",
        "disclose",
        "entregar",
        "divulgar",
        "a entregar",
        "a divulgar",
    ],
    "issuer": [
        "hospital",
        "medical center",
        "image service center",
        "health system",
        "department of radiology",
        "centro de servicio de imagenes",
        "hospital regional",
        "departamento de radiologia",
    ],
}


def check_document(document: Document, today: date) -> dict[str, Check]:
    """Run the checks that apply to the document's type.

    Args:
        document: A classified document (fields need not be extracted).
        today: The processing day (kept for checks that compare dates;
            the comparison itself is made in ``intake.decide``).

    Returns:
        Checks by name; empty for documents that are not forms.
    """
    if document.doc_type not in FORM_TYPES:
        return {}
    found = form_regions(document)
    if found is None:
        return {}
    page, regions = found
    language = document.language
    checks = {
        "signed": check_signed(page, regions),
        "signature_date": check_signature_date(page, regions, language),
        "representative_authority": check_representative(page, regions),
    }
    if document.doc_type == "third_party_release":
        checks["xray_scan_reports_checked"] = check_xray_box(page, regions)
        checks["release_to"] = check_release_to(page, regions)
        checks["hipaa_information"] = check_information(page, regions)
        checks["hipaa_releaser"] = check_releaser(page, regions, language)
        checks["hipaa_purpose"] = check_filled(
            page, regions, "purpose", "hipaa_purpose"
        )
        checks["hipaa_expiry"] = check_expiry(page, regions, language)
    log.debug("document %s: %d checks", document.doc_id, len(checks))
    return checks


# Signature ------------------------------------------------------------------


def check_signed(page: Page, regions: FormRegions) -> Check:
    """Decide whether the signing area contains a signature."""
    region = regions.fields.get("signature")
    if region is None:
        return Check(
            "signed", None, 0.3, page.number, None, detail="signature area not found"
        )
    area = _signing_area(region)
    typed = _typed_words(page, area)
    if any(word.text.lower().startswith("/s/") for word in typed):
        return Check(
            "signed", True, 0.9, page.number, area, detail="electronic /s/ signature"
        )
    ignore = [word.bbox for word in typed] + [word.bbox for word in region.label_words]
    measure = _measure_area(page, area, ignore, region.polygon)
    check = _judge_signature(
        page, area, measure, bool(typed), _plausible_area(page, region)
    )
    if region.source == "label" and region.rule is None:
        # An area guessed from the label alone, with no signing line found,
        # may hold other writing (the date beside it) or miss the signature.
        check = replace(
            check, confidence=min(check.confidence, GUESSED_AREA_CONFIDENCE)
        )
    return check


def _plausible_area(page: Page, region: FieldRegion) -> bool:
    """Return False for a signing area too narrow to be a signature line.

    A found line shorter than its own label, or than a sixth of the page
    width, is more likely a stroke than the printed line. An empty area
    above such a line proves nothing.
    """
    width = region.region[2] - region.region[0]
    if width < page.image.width / 6:
        return False
    return region.label is None or width >= 0.8 * (region.label[2] - region.label[0])


def _signing_area(region: FieldRegion) -> tuple[int, int, int, int]:
    """Return the signing area with room above it: signatures rise above the box."""
    if region.polygon is not None:
        return region.reading_area
    left, top, right, bottom = region.region
    rise = (bottom - top) // 4
    return (left, top - rise, right, bottom)


def _typed_words(page: Page, area: tuple[int, int, int, int]) -> list:
    if not page.has_text_layer:
        return []
    return [
        word
        for word in page.words
        if area[0] <= (word.bbox[0] + word.bbox[2]) / 2 <= area[2]
        and area[1] <= (word.bbox[1] + word.bbox[3]) / 2 <= area[3]
    ]


def _measure_area(
    page: Page,
    area: tuple[int, int, int, int],
    ignore: list,
    polygon: tuple[tuple[int, int], ...] | None = None,
) -> InkMeasure:
    width = area[2] - area[0]
    rule_length = max(20, min(int(width * 0.3), _rule_length(page)))
    return measure_ink(
        page_ink(page),
        area,
        ignore=ignore,
        rule_length=rule_length,
        min_speck=_speck_size(page),
        polygon=polygon,
    )


def _rule_length(page: Page) -> int:
    """Shortest straight run treated as a printed line: 0.6 inch at the page's dpi.

    Short enough that a rule skewed by two degrees still has runs this long
    between its steps (see ``marks.RULE_TILT``).
    """
    return round(page.dpi * 0.6)


def _speck_size(page: Page) -> int:
    """Smallest pen-stroke piece in pixels: about a 0.5 mm dot at the page's dpi."""
    return max(4, round((page.dpi / 100) ** 2 * 2))


def _judge_signature(
    page: Page,
    area: tuple[int, int, int, int],
    measure: InkMeasure,
    typed: bool,
    plausible: bool = True,
) -> Check:
    evidence = measure.bbox or area
    detail = f"ink={measure.ink:.4f} span={measure.span:.2f} parts={measure.components}"
    if measure.ink >= SIGNED_MIN_INK and measure.span >= SIGNED_MIN_SPAN:
        confidence = min(0.98, 0.85 + 10 * (measure.ink - SIGNED_MIN_INK))
        return Check(
            "signed", True, round(confidence, 3), page.number, evidence, detail=detail
        )
    if measure.ink <= UNSIGNED_MAX_INK:
        if typed:
            return Check(
                "signed", None, 0.5, page.number, area, detail="typed text only"
            )
        if not plausible:
            return Check(
                "signed", None, 0.5, page.number, area, detail="signing area too small"
            )
        confidence = 0.95 if measure.ink <= UNSIGNED_MAX_INK / 3 else 0.85
        return Check("signed", False, confidence, page.number, area, detail=detail)
    return Check("signed", None, 0.5, page.number, evidence, detail=detail)


def check_signature_date(page: Page, regions: FormRegions, language: str) -> Check:
    """Read the date written beside the signature."""
    region = regions.fields.get("signature_date")
    if region is None:
        return Check(
            "signature_date", None, 0.3, page.number, None, detail="date area not found"
        )
    value = read_field(page, region, language)
    if value is not None and value.value:
        return Check(
            "signature_date",
            True,
            value.confidence,
            page.number,
            value.bbox or region.region,
            value=value.value,
        )
    state, confidence = _fill_state(page, regions, region)
    if state is False:
        return Check(
            "signature_date",
            False,
            confidence,
            page.number,
            region.region,
            detail="date area is empty",
        )
    return Check(
        "signature_date",
        None,
        0.4,
        page.number,
        region.region,
        detail="date area has writing that does not read as a date",
    )


def check_representative(page: Page, regions: FormRegions) -> Check:
    """Pass when the patient signed, or a representative gave their authority."""
    name = regions.fields.get("representative_name")
    authority = regions.fields.get("representative_authority")
    if name is None:
        return Check(
            "representative_authority",
            None,
            0.3,
            page.number,
            None,
            detail="representative area not found",
        )
    named, name_confidence = _fill_state(page, regions, name)
    if named is False:
        return Check(
            "representative_authority",
            True,
            name_confidence,
            page.number,
            name.region,
            detail="no representative named",
        )
    if named is None or authority is None:
        return Check("representative_authority", None, 0.4, page.number, name.region)
    stated, confidence = _fill_state(page, regions, authority)
    return Check(
        "representative_authority",
        stated,
        min(confidence, name_confidence),
        page.number,
        authority.region,
    )


# Boxes ----------------------------------------------------------------------


def check_xray_box(page: Page, regions: FormRegions) -> Check:
    """Decide whether the x-rays/scan reports box is marked."""
    box = regions.xray_box
    if box is None or box.box is None:
        evidence = box.search if box is not None else None
        return Check(
            "xray_scan_reports_checked",
            None,
            0.3,
            page.number,
            evidence,
            detail="checkbox not found",
        )
    mark = measure_checklist_box(page, regions, box)
    passed, confidence = judge_box(mark)
    detail = (
        f"fill={mark.fill:.3f} outside={mark.outside:.3f} around={mark.surround} "
        f"stroke={mark.stroke:.2f}"
    )
    return Check(
        "xray_scan_reports_checked",
        passed,
        confidence,
        page.number,
        box.box,
        detail=detail,
    )


def measure_checklist_box(
    page: Page, regions: FormRegions, box: CheckboxRegion
) -> BoxMark:
    """Measure one found box of the checklist, its label and other boxes left out."""
    assert box.box is not None
    squares = [other.box for other in regions.information_boxes if other.box]
    labels = [box.label] if box.label else []
    return measure_box(page_ink(page), box.box, _speck_size(page) // 2, squares, labels)


def judge_box(mark: BoxMark) -> tuple[bool | None, float]:
    """Turn a box's fill into marked / empty / unsure with a confidence.

    A box with an empty inside counts as marked when ink surrounds it on at
    least three sides, because it was circled. Ink on fewer sides is a
    stray mark, which makes the box unsure rather than empty, unless it is
    one long stroke that reaches past two sides or into the box: a tick
    that missed most of the square, read as marked with a confidence too
    low to act on. A box is not empty either while ink taken for a
    neighbour's mark surrounds it on three sides.
    """
    if mark.fill >= BOX_TICKED_FILL:
        return True, round(min(0.98, 0.85 + (mark.fill - BOX_TICKED_FILL)), 3)
    if mark.surround >= CIRCLED_SIDES:
        return True, 0.85
    if mark.fill <= BOX_EMPTY_FILL and not (
        mark.outside >= BOX_STRAY_OUTSIDE
        or mark.surround > 0
        or mark.nearby >= CIRCLED_SIDES
    ):
        return False, round(0.95 - 3 * mark.fill, 3)
    inked = mark.surround >= 2 or mark.fill > BOX_EMPTY_FILL
    if mark.stroke >= TICK_BESIDE_STROKE and inked:
        return True, TICK_BESIDE_CONFIDENCE
    return None, 0.5


def check_information(page: Page, regions: FormRegions) -> Check:
    """Pass when at least one "information to be released" box is marked."""
    found = [box for box in regions.information_boxes if box.box is not None]
    squares = [box.box for box in found if box.box is not None]
    if not squares:
        return Check(
            "hipaa_information",
            None,
            0.3,
            page.number,
            None,
            detail="no checklist boxes found",
        )
    results = []
    for box in found:
        assert box.box is not None
        mark = measure_checklist_box(page, regions, box)
        results.append((judge_box(mark), box.box))
    marked = [(conf, square) for (passed, conf), square in results if passed]
    if marked:
        confidence, square = max(marked, key=lambda item: item[0])
        return Check("hipaa_information", True, confidence, page.number, square)
    span = union_boxes(squares)
    if all(passed is False for (passed, _), _ in results):
        confidence = min(conf for (_, conf), _ in results)
        return Check("hipaa_information", False, confidence, page.number, span)
    return Check("hipaa_information", None, 0.5, page.number, span)


# Filled areas ---------------------------------------------------------------


def check_release_to(page: Page, regions: FormRegions) -> Check:
    """Pass when the recipient's name and address are both filled in."""
    states = []
    for role in ("release_to_name", "release_to_address"):
        region = regions.fields.get(role)
        if region is None:
            return Check(
                "release_to",
                None,
                0.3,
                page.number,
                None,
                detail=f"{role} area not found",
            )
        states.append((_fill_state(page, regions, region), region))
    evidence = regions.fields["release_to_name"].region
    if any(state is False for (state, _), _ in states):
        confidence = min(conf for (state, conf), _ in states if state is False)
        return Check("release_to", False, confidence, page.number, evidence)
    if all(state for (state, _), _ in states):
        confidence = min(conf for (_, conf), _ in states)
        return Check("release_to", True, confidence, page.number, evidence)
    return Check("release_to", None, 0.5, page.number, evidence)


def check_filled(page: Page, regions: FormRegions, role: str, name: str) -> Check:
    """Pass when the writing area of ``role`` contains writing."""
    region = regions.fields.get(role)
    if region is None:
        return Check(
            name, None, 0.3, page.number, None, detail=f"{role} area not found"
        )
    state, confidence = _fill_state(page, regions, region)
    return Check(name, state, confidence, page.number, region.region)


def check_expiry(page: Page, regions: FormRegions, language: str) -> Check:
    """Pass with the ISO date for an expiry date, or with no value for an event."""
    date_region = regions.fields.get("expiry_date")
    event_region = regions.fields.get("expiry_event")
    if date_region is None and event_region is None:
        return Check(
            "hipaa_expiry", None, 0.3, page.number, None, detail="expiry area not found"
        )
    if date_region is not None:
        value = read_field(page, date_region, language)
        if value is not None and value.value:
            return Check(
                "hipaa_expiry",
                True,
                value.confidence,
                page.number,
                value.bbox or date_region.region,
                value=value.value,
            )
    states = [
        (_fill_state(page, regions, region), region)
        for region in (date_region, event_region)
        if region is not None
    ]
    if event_region is not None:
        (event_state, event_confidence) = _fill_state(page, regions, event_region)
        if event_state:
            return Check(
                "hipaa_expiry",
                True,
                event_confidence,
                page.number,
                event_region.region,
                detail="expiry event",
            )
    if all(state is False for (state, _), _ in states):
        confidence = min(conf for (_, conf), _ in states)
        return Check(
            "hipaa_expiry", False, confidence, page.number, states[0][1].region
        )
    return Check(
        "hipaa_expiry",
        None,
        0.4,
        page.number,
        states[0][1].region,
        detail="expiry date written but not readable",
    )


def check_releaser(page: Page, regions: FormRegions, language: str) -> Check:
    """Pass when the form names who releases the information.

    The center's forms print this ("I authorize Alder Creek Regional
    Hospital to release ..."), so a fitted registered layout passes. On an
    unknown edition the text must contain an authorization to release, or
    the form must be the center's own: a hospital or center named in its
    header, which makes the center the releasing party.
    """
    if regions.fit is not None:
        return Check(
            "hipaa_releaser",
            True,
            0.95,
            page.number,
            None,
            detail="printed on the registered form",
        )
    text = PageText.of(page)
    counts = _releaser_finder(language).count(text.text)
    if counts.get("authorize") and counts.get("release"):
        return Check("hipaa_releaser", True, 0.9, page.number, None)
    header = [line for line in text.lines if line.bbox[3] <= page.image.height * 0.15]
    header_counts = _releaser_finder(language).count(
        "\n".join(line.text for line in header)
    )
    if header_counts.get("issuer"):
        return Check(
            "hipaa_releaser",
            True,
            0.85,
            page.number,
            None,
            detail="form issued by the center",
        )
    return Check(
        "hipaa_releaser",
        None,
        0.4,
        page.number,
        None,
        detail="no authorization statement found",
    )


@lru_cache(maxsize=2)
def _releaser_finder(language: str) -> PhraseFinder:
    return PhraseFinder(RELEASER_PHRASES, language)


def _fill_state(
    page: Page, regions: FormRegions, region: FieldRegion
) -> tuple[bool | None, float]:
    """Decide whether a writing area contains writing, from its ink.

    Ink is measured with the fill line, the label's words and specks
    removed, and compared with the label height squared (the ink of about
    one handwritten letter).
    """
    area = region.reading_area
    labels = [*region.label_words, *regions.printed_labels]
    ignore = [word.bbox for word in labels]
    rule_length = max(20, min((area[2] - area[0]) // 4, _rule_length(page)))
    height = max(regions.label_height, 8.0)
    measure = measure_ink(
        page_ink(page),
        area,
        ignore=ignore,
        rule_length=rule_length,
        min_speck=_speck_size(page),
        polygon=region.polygon,
        # Tails of the writing on the line above hang across the fill line.
        above=round(2 * height) if region.rule else 0,
    )
    # An area guessed from a label alone, with no fill line, may be off, so
    # its result is reported below the confidence the decision acts on.
    confidence = 0.9 if region.rule is not None else GUESSED_AREA_CONFIDENCE
    letter = height**2 * 0.25
    if measure.pixels >= 2.5 * letter:
        return True, confidence
    if measure.pixels <= 0.4 * letter:
        return False, confidence
    return None, 0.5
