"""Tests for mark measurement (classifiers.marks) and the form checks."""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from classifiers import page_cache
from classifiers.checks import check_document, check_expiry, judge_box
from classifiers.form_regions import locate_regions
from classifiers.marks import (
    BoxMark,
    find_checkboxes,
    find_horizontal_lines,
    ink_map,
    measure_box,
    measure_ink,
)
from intake.decide import MIN_CHECK_CONFIDENCE
from intake.types import Document, Page, Word
from ocr.tesseract import read_words
from tests.test_extract import FORM_VALUES, render_form_page

TODAY = date(2026, 3, 1)


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (600, 240), 255)
    return image, ImageDraw.Draw(image)


def _draw_boxes(draw: ImageDraw.ImageDraw) -> list[tuple[int, int, int, int]]:
    boxes = [
        (20, 20, 50, 50),
        (120, 20, 150, 50),
        (220, 20, 250, 50),
        (320, 20, 350, 50),
    ]
    for box in boxes:
        draw.rectangle(box, outline=0, width=2)
    return boxes


def test_find_checkboxes_with_any_mark() -> None:
    image, draw = _canvas()
    _draw_boxes(draw)
    draw.line([(125, 35), (133, 45), (148, 8)], fill=0, width=3)
    draw.line([(222, 22), (248, 48)], fill=0, width=3)
    draw.line([(222, 48), (248, 22)], fill=0, width=3)
    draw.rectangle((324, 24, 346, 46), fill=0)
    found = find_checkboxes(ink_map(image), (0, 0, 600, 100), 20, 45)
    assert len(found) == 4
    assert [box[0] for box in found] == sorted(box[0] for box in found)


def _near(found: tuple[int, ...], drawn: tuple[int, ...]) -> bool:
    return all(abs(p - q) <= 3 for p, q in zip(found, drawn, strict=True))


def test_box_found_inside_touching_circle() -> None:
    # Drawn tight, the circle cuts across the box's lower left corner, so
    # box and circle make one outline and the box's inside is split.
    image, draw = _canvas()
    draw.rectangle((100, 80, 130, 110), outline=0, width=2)
    draw.ellipse((100, 72, 146, 116), outline=0, width=3)
    (box,) = find_checkboxes(ink_map(image), (60, 50, 200, 140), 20, 45)
    assert _near(box, (100, 80, 131, 111))


def test_stacked_boxes_found_through_crossing_circles() -> None:
    # Two circles cross between the boxes, joining all three and their
    # left sides into one shape.
    image, draw, boxes = _box_column(40)
    draw.ellipse((36, 0, 92, 48), outline=0, width=3)
    draw.ellipse((36, 64, 92, 112), outline=0, width=3)
    found = find_checkboxes(ink_map(image), (0, 0, 150, 200), 20, 45)
    assert len(found) == 3
    for box, drawn in zip(found, boxes, strict=True):
        assert _near(box, (drawn[0], drawn[1], drawn[2] + 1, drawn[3] + 1))


def test_measure_box_tells_marks_from_empty() -> None:
    image, draw = _canvas()
    empty, tick, cross, filled = _draw_boxes(draw)
    draw.line([(125, 35), (133, 45), (148, 8)], fill=0, width=3)
    draw.line([(222, 22), (248, 48)], fill=0, width=3)
    draw.line([(222, 48), (248, 22)], fill=0, width=3)
    draw.rectangle((324, 24, 346, 46), fill=0)
    ink = ink_map(image)
    assert judge_box(measure_box(ink, empty))[0] is False
    assert judge_box(measure_box(ink, tick))[0] is True
    assert judge_box(measure_box(ink, cross))[0] is True
    assert judge_box(measure_box(ink, filled))[0] is True


def _checklist() -> tuple[
    Image.Image, ImageDraw.ImageDraw, list[tuple[int, int, int, int]]
]:
    """Three boxes stacked as in a printed checklist, 15 pixels apart."""
    image = Image.new("L", (300, 200), 255)
    draw = ImageDraw.Draw(image)
    boxes = [(40, 20, 70, 50), (40, 65, 70, 95), (40, 110, 70, 140)]
    for box in boxes:
        draw.rectangle(box, outline=0, width=2)
    return image, draw, boxes


def test_neighbour_tick_leaves_box_empty() -> None:
    image, draw, (above, box, below) = _checklist()
    # A big tick in the box above whose tail runs down past the empty box.
    draw.line([(45, 35), (55, 48), (75, 2)], fill=0, width=3)
    draw.line([(55, 48), (30, 62)], fill=0, width=3)
    ink = ink_map(image)

    alone = judge_box(measure_box(ink, box))
    with_list = judge_box(measure_box(ink, box, neighbours=[above, box, below]))

    assert alone[0] is None
    assert with_list[0] is False


def test_circle_through_neighbour_still_marks_box() -> None:
    image, draw, (above, box, below) = _checklist()
    draw.ellipse((28, 42, 88, 104), outline=0, width=3)
    ink = ink_map(image)

    passed, _ = judge_box(measure_box(ink, box, neighbours=[above, box, below]))

    assert passed is True


def test_off_centre_circle_through_neighbour_is_unsure() -> None:
    # The box above is circled. The circle around the middle box is drawn
    # high and left, through the box above, and is taken for that box's mark.
    image, draw, (above, box, below) = _checklist()
    draw.ellipse((30, 8, 88, 58), outline=0, width=3)
    draw.ellipse((28, 41, 84, 93), outline=0, width=3)

    mark = measure_box(ink_map(image), box, neighbours=[above, box, below])

    assert mark.nearby >= 3
    assert judge_box(mark)[0] is None


def _box_column(
    left: int,
) -> tuple[Image.Image, ImageDraw.ImageDraw, list[tuple[int, int, int, int]]]:
    """Draw three 30-pixel boxes one above the other, 30 pixels apart."""
    image = Image.new("L", (300, 200), 255)
    draw = ImageDraw.Draw(image)
    boxes = [(left, top, left + 30, top + 30) for top in (10, 70, 130)]
    for square in boxes:
        draw.rectangle(square, outline=0, width=2)
    return image, draw, boxes


def test_wide_circle_over_label_marks_box() -> None:
    # Boxes 30 pixels apart; the circle passes 20 pixels above and below the
    # middle box and over the first letters of its label.
    image, draw, neighbours = _box_column(40)
    box = neighbours[1]
    font = ImageFont.load_default(size=24)
    draw.text((80, 85), "Xrays", fill=0, font=font, anchor="lm")
    draw.ellipse((14, 50, 92, 120), outline=0, width=3)
    label = (78, 71, 160, 99)
    ink = ink_map(image)

    assert judge_box(measure_box(ink, box, neighbours=neighbours, labels=[label]))[0]
    # The same circle belongs to the box above once moved up to it: the
    # middle box stays unmarked.
    image, draw, _ = _box_column(40)
    draw.ellipse((14, -10, 92, 60), outline=0, width=3)
    mark = measure_box(ink_map(image), box, neighbours=neighbours, labels=[label])
    assert judge_box(mark)[0] is not True


def test_circle_around_neighbour_leaves_box_empty() -> None:
    # The circle goes around the box above. Its lower edge passes just
    # over the middle box and reaches into no box.
    image, draw, neighbours = _box_column(40)
    box = neighbours[1]
    draw.ellipse((16, -12, 94, 64), outline=0, width=3)
    ink = ink_map(image)
    assert judge_box(measure_box(ink, box))[0] is None

    mark = measure_box(ink, box, neighbours=neighbours, labels=[(80, 71, 160, 99)])

    assert judge_box(mark)[0] is False


def test_box_between_joined_marks_is_empty() -> None:
    # A cross in the box above whose legs end on the middle box's top
    # corners, and a circle around the box below that touches its bottom
    # edge. Joined through the middle box's border, they reach past all
    # four of its sides, though no one stroke goes around it.
    image, draw, neighbours = _box_column(40)
    draw.line([(58, 26), (40, 72)], fill=0, width=3)
    draw.line([(52, 26), (70, 72)], fill=0, width=3)
    draw.ellipse((28, 98, 82, 172), outline=0, width=3)
    ink = ink_map(image)

    mark = measure_box(ink, neighbours[1], neighbours=neighbours)

    assert judge_box(mark)[0] is False


def test_circle_kept_where_label_word_joins_box() -> None:
    # OCR joined the square to the label's last word, so the label box
    # covers the square and the circle's sides.
    image, draw, neighbours = _box_column(140)
    box = neighbours[1]
    font = ImageFont.load_default(size=24)
    draw.text((125, 85), "reports", fill=0, font=font, anchor="rm")
    draw.ellipse((114, 50, 186, 120), outline=0, width=3)
    label = (30, 60, 190, 110)
    ink = ink_map(image)

    mark = measure_box(ink, box, neighbours=neighbours, labels=[label])

    assert judge_box(mark)[0] is True


def _mark_middle_box(stroke: list[tuple[int, int]], width: int = 3) -> BoxMark:
    """Draw one pen stroke over the column of three boxes and measure the middle one."""
    image, draw, neighbours = _box_column(40)
    draw.line(stroke, fill=0, width=width)
    return measure_box(ink_map(image), neighbours[1], neighbours=neighbours)


def test_tick_beside_box_weakly_marked() -> None:
    # The tick's vertex is under the middle box's bottom edge and its long
    # arm runs up past the right side, so the box's inside stays empty.
    mark = _mark_middle_box([(63, 98), (70, 106), (100, 64)])
    passed, confidence = judge_box(mark)

    assert mark.fill <= 0.02
    assert passed is True
    assert confidence < MIN_CHECK_CONFIDENCE


def test_tick_mostly_outside_weakly_marked() -> None:
    # Only the tick's short arm is inside the box, and its long arm leaves
    # on the right side alone.
    mark = _mark_middle_box([(57, 88), (63, 97), (90, 60)], width=2)
    passed, confidence = judge_box(mark)

    assert 0.02 < mark.fill < 0.07
    assert mark.surround < 2
    assert passed is True
    assert confidence < MIN_CHECK_CONFIDENCE


def test_flat_box_has_no_stroke() -> None:
    image, _, neighbours = _box_column(40)
    flat = (40, 80, 70, 80)

    mark = measure_box(ink_map(image), flat, neighbours=[*neighbours, flat])

    assert mark.stroke == 0.0


def test_bracket_left_of_box_is_not_circle() -> None:
    # A "[" in the margin, its ends just above and below the box, touches
    # three bands around it but goes around nothing.
    mark = _mark_middle_box([(36, 62), (30, 62), (30, 108), (36, 108)])

    assert mark.surround < 3
    assert judge_box(mark)[0] is not True


def test_short_dash_beside_box_is_unsure() -> None:
    mark = _mark_middle_box([(66, 104), (78, 96)])

    assert mark.stroke < 0.7
    assert judge_box(mark)[0] is None


def test_label_text_beside_box_is_not_a_mark() -> None:
    image, draw, (_, box, _) = _checklist()
    font = ImageFont.load_default(size=24)
    draw.text((37, 80), "Xrays", fill=0, font=font, anchor="rm")
    label = (0, 66, 38, 94)
    ink = ink_map(image)
    assert judge_box(measure_box(ink, box))[0] is not False

    mark = measure_box(ink, box, labels=[label])

    assert judge_box(mark)[0] is False


def test_measure_box_straight_sided_circle() -> None:
    # Drawn quickly, a circle is nearly a rounded rectangle: its sides are
    # straight for longer than the box's side, though far shorter than a
    # printed rule.
    image, draw, (above, box, below) = _checklist()
    draw.rounded_rectangle((28, 56, 84, 104), radius=8, outline=0, width=3)
    mark = measure_box(ink_map(image), box, neighbours=[above, box, below])
    assert mark.surround >= 3
    assert judge_box(mark)[0] is True


def test_measure_box_ignores_printed_rules() -> None:
    image, draw, (above, box, below) = _checklist()
    draw.line([(20, 5), (20, 190)], fill=0, width=2)
    draw.line([(5, 58), (290, 58)], fill=0, width=2)
    mark = measure_box(ink_map(image), box, neighbours=[above, box, below])
    assert mark.surround == 0


def test_measure_box_ignores_its_thick_border() -> None:
    image, draw = _canvas()
    draw.rectangle((20, 20, 50, 50), outline=0, width=4)
    mark = measure_box(ink_map(image), (20, 20, 51, 51))
    assert mark.fill < 0.02


def test_judge_box_faint_mark_is_unsure() -> None:
    assert judge_box(BoxMark((0, 0, 30, 30), fill=0.04, outside=0.0))[0] is None


def test_judge_box_stray_mark_unsure() -> None:
    assert judge_box(BoxMark((0, 0, 30, 30), fill=0.0, outside=0.1))[0] is None


def test_measure_ink_removes_the_printed_line() -> None:
    image, draw = _canvas()
    draw.line([(20, 200), (500, 200)], fill=0, width=2)
    measure = measure_ink(ink_map(image), (10, 120, 520, 203), rule_length=100)
    assert measure.pixels == 0


def test_measure_ink_finds_a_signature_stroke() -> None:
    image, draw = _canvas()
    draw.line([(20, 200), (500, 200)], fill=0, width=2)
    points = [(40 + i * 3, 170 + 15 * math.sin(i / 3)) for i in range(80)]
    draw.line(points, fill=0, width=3)
    measure = measure_ink(ink_map(image), (10, 120, 520, 203), rule_length=100)
    assert measure.components >= 1
    assert measure.span > 0.4


def _descender_across_rule(draw: ImageDraw.ImageDraw) -> None:
    """Draw a fill line at y=100 with a "g" written on it whose loop hangs
    40 pixels below, at the slant a hand gives it."""
    draw.line([(20, 100), (500, 100)], fill=0, width=3)
    draw.ellipse((100, 70, 124, 96), outline=0, width=3)
    draw.line([(122, 82), (126, 100), (118, 140), (96, 128)], fill=0, width=3)


def test_measure_ink_drops_tail_from_above() -> None:
    image, draw = _canvas()
    _descender_across_rule(draw)
    ink = ink_map(image)
    region = (10, 100, 520, 203)

    seen = measure_ink(ink, region, rule_length=100)
    measure = measure_ink(ink, region, rule_length=100, above=50)

    assert seen.pixels > 50, (
        "the tail must reach into the region for the test to mean anything"
    )
    assert measure.pixels == 0


def test_measure_ink_keeps_own_writing() -> None:
    image, draw = _canvas()
    _descender_across_rule(draw)
    draw.line([(200, 104), (210, 180), (260, 150)], fill=0, width=3)
    measure = measure_ink(
        ink_map(image), (10, 100, 520, 203), rule_length=100, above=50
    )
    assert measure.bbox is not None
    assert measure.bbox[0] >= 195
    assert measure.pixels > 100


def test_measure_ink_drops_speckle() -> None:
    image, _ = _canvas()
    pixels = np.asarray(image).copy()
    rng = random.Random(7)
    for _ in range(60):
        pixels[rng.randrange(120, 200), rng.randrange(10, 520)] = 0
    measure = measure_ink(ink_map(Image.fromarray(pixels)), (10, 120, 520, 203))
    assert measure.pixels == 0


def test_find_horizontal_lines_bridges_small_gaps() -> None:
    image, draw = _canvas()
    draw.line([(20, 200), (250, 200)], fill=0, width=2)
    draw.line([(253, 200), (500, 200)], fill=0, width=2)
    lines = find_horizontal_lines(ink_map(image), (0, 150, 600, 240), 300)
    assert len(lines) == 1
    assert lines[0][0] <= 22
    assert lines[0][2] >= 498


def test_find_horizontal_lines_joins_fax_dropout_columns() -> None:
    image, draw = _canvas()
    # White columns 12 pixels wide, as a dirty fax sensor leaves them.
    for start in range(20, 500, 120):
        draw.line([(start, 200), (start + 108, 200)], fill=0, width=2)
    lines = find_horizontal_lines(ink_map(image), (0, 150, 600, 240), 100)
    assert len(lines) == 1
    assert lines[0][2] - lines[0][0] >= 450


def test_find_horizontal_lines_follows_fax_breaks() -> None:
    # A thin rule a fax broke where it steps from one scan row to the next:
    # a short piece, then two long ones, 15 pixels apart.
    image, draw = _canvas()
    for start, end in ((30, 57), (72, 327), (342, 560)):
        draw.line([(start, 200), (end, 200)], fill=0, width=2)
    draw.line([(575, 200), (587, 200)], fill=0, width=2)
    ink = ink_map(image)
    region = (0, 150, 600, 240)

    assert find_horizontal_lines(ink, region, 228)[0][0] > 60
    (line,) = find_horizontal_lines(ink, region, 228, max_break=18)
    assert line[0] <= 31
    assert line[2] >= 559
    # A run shorter than the break (the stroke of a letter) is not a piece.
    assert line[2] < 575


def test_find_horizontal_lines_skips_a_dotted_band() -> None:
    # A grey band as a fax renders it: rows of dots, every other pixel.
    image, _ = _canvas()
    pixels = np.asarray(image).copy()
    for row in range(190, 204):
        pixels[row, 20 + row % 2 : 500 : 2] = 0
    lines = find_horizontal_lines(
        ink_map(Image.fromarray(pixels)), (0, 150, 600, 240), 300
    )
    assert lines == []


def test_find_horizontal_lines_keeps_a_tilted_rule() -> None:
    image, draw = _canvas()
    draw.line([(20, 196), (500, 204)], fill=0, width=2)
    lines = find_horizontal_lines(ink_map(image), (0, 150, 600, 240), 300)
    assert len(lines) == 1


# Checks on forms rendered from the registered layouts -----------------------


def _checks(page: Page, doc_type: str = "third_party_release") -> dict:
    document = Document(
        Path("form.pdf"), [page], doc_type=doc_type, language=page.language
    )
    return check_document(document, TODAY)


@pytest.fixture(scope="module")
def signed_ticked() -> Page:
    return render_form_page("third_party_release_en", FORM_VALUES, ("info_xray",))


@pytest.fixture(scope="module")
def unsigned_unticked() -> Page:
    values = {
        k: v for k, v in FORM_VALUES.items() if k not in ("purpose", "signature_date")
    }
    return render_form_page(
        "third_party_release_en", values, ("info_lab",), signature=False
    )


def test_checks_pass_on_complete_form(signed_ticked: Page) -> None:
    checks = _checks(signed_ticked)
    assert checks["signed"].passed is True
    assert checks["signed"].confidence >= 0.8
    assert checks["signature_date"].value == "2026-02-14"
    assert checks["xray_scan_reports_checked"].passed is True
    assert checks["release_to"].passed is True
    assert checks["hipaa_information"].passed is True
    assert checks["hipaa_purpose"].passed is True
    assert checks["hipaa_expiry"].value == "2026-12-31"
    assert checks["representative_authority"].passed is True


def test_checks_fail_on_incomplete_form(unsigned_unticked: Page) -> None:
    checks = _checks(unsigned_unticked)
    assert checks["signed"].passed is False
    assert checks["signed"].confidence >= 0.8
    assert checks["signature_date"].passed is False
    assert checks["xray_scan_reports_checked"].passed is False
    assert checks["hipaa_information"].passed is True
    assert checks["hipaa_purpose"].passed is False


def test_checks_carry_page_and_evidence_box(signed_ticked: Page) -> None:
    checks = _checks(signed_ticked)
    for name in ("signed", "signature_date", "xray_scan_reports_checked"):
        assert checks[name].page == 1, name
        assert checks[name].bbox is not None, name


def test_checks_by_labels_without_layout(
    signed_ticked: Page, unsigned_unticked: Page
) -> None:
    from classifiers import checks as checks_module

    for page, signed, ticked in (
        (signed_ticked, True, True),
        (unsigned_unticked, False, False),
    ):
        regions = locate_regions(page, None)
        assert checks_module.check_signed(page, regions).passed is signed
        assert checks_module.check_xray_box(page, regions).passed is ticked


def test_release_images_form_gets_its_checks_only() -> None:
    page = render_form_page("release_images_es", {"signature_date": "14/02/2026"})
    checks = _checks(page, "release_images")
    assert set(checks) == {"signed", "signature_date", "representative_authority"}
    assert checks["signed"].passed is True
    assert checks["signature_date"].value == "2026-02-14"


def test_checks_skip_letters() -> None:
    page = Page(Path("x.pdf"), 1, Image.new("L", (100, 100), 255), 200)
    assert _checks(page, "physician_request") == {}


def test_page_cache_keeps_one_entry_per_page() -> None:
    page = Page(Path("x.pdf"), 1, Image.new("L", (10, 10), 255), 200)
    calls = []
    for _ in range(3):
        page_cache.cached(page, "key", lambda p: calls.append(p) or len(calls))
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["efax-0004.pdf", "fax-0030.tif", "scan-0027.pdf"])
def test_checks_corpus_file_match_truth(name: str) -> None:
    from classifiers.split import split_documents
    from tests.test_split import read_corpus_file

    pages, truth = read_corpus_file(name)
    documents = split_documents(pages)
    assert len(documents) == len(truth)
    for document, expected in zip(documents, truth, strict=True):
        checks = check_document(document, TODAY)
        expected_checks = expected["checks"]
        where = document.page_numbers
        if expected_checks["signed"] is not None:
            assert checks["signed"].passed is expected_checks["signed"], where
        if expected_checks["xray_scan_reports_checked"] is not None:
            got = checks["xray_scan_reports_checked"].passed
            assert got is expected_checks["xray_scan_reports_checked"], where
        if expected_checks["signature_date"] is not None:
            assert (
                checks["signature_date"].value == expected_checks["signature_date"]
            ), where


def test_circled_empty_box_counts_as_marked() -> None:
    image, draw = _canvas()
    draw.rectangle((100, 80, 130, 110), outline=0, width=2)
    draw.ellipse((82, 66, 148, 124), outline=0, width=3)
    ink = ink_map(image)
    (box,) = find_checkboxes(ink, (60, 50, 200, 140), 20, 45)
    mark = measure_box(ink, box)
    assert mark.fill < 0.02
    assert mark.surround >= 3
    assert judge_box(mark)[0] is True


def test_fit_follows_a_skewed_page(signed_ticked: Page) -> None:
    from classifiers.layout_fit import fit_layout
    from intake.forms import load_layout

    turned = signed_ticked.image.rotate(1.5, expand=False, fillcolor=255)
    words = read_words(turned, "eng", 3, 120)
    page = Page(Path("skewed.pdf"), 1, turned, 200, words)
    fit = fit_layout(load_layout("third_party_release_en"), page)
    assert fit is not None
    assert fit.trusted
    assert abs(abs(fit.rotation) - 1.5) < 0.5
    checks = _checks(page)
    assert checks["signed"].passed is True
    assert checks["xray_scan_reports_checked"].passed is True


def _text_layer_form(signature_words: list[str]) -> Page:
    """Render the blank third-party form and type words on its signature line."""
    from classifiers.layout_fit import load_template
    from intake.types import Word

    template = load_template("third_party_release_en")
    layout = template.layout
    scale = 200 / 72
    image = render_form_page("third_party_release_en", {}, signature=False).image
    words = [
        Word(w.key, 100.0, tuple(round(v * scale) for v in w.box), (1, 1, i))
        for i, w in enumerate(template.words)
    ]
    left, _, _, bottom = layout.signature.box  # type: ignore[union-attr]
    x, y = round(left * scale) + 40, round(bottom * scale) - 40
    draw = ImageDraw.Draw(image)
    for text in signature_words:
        draw.text((x, y), text, fill=0)
        words.append(Word(text, 100.0, (x, y, x + 8 * len(text), y + 12), (9, 1, 1)))
        x += 8 * len(text) + 10
    return Page(Path("efax.pdf"), 1, image, 200, words, has_text_layer=True)


def test_typed_slash_s_signature_counts() -> None:
    checks = _checks(_text_layer_form(["/s/", "Ana", "Ruiz"]))
    assert checks["signed"].passed is True


def test_typed_name_without_slash_s_is_unsure() -> None:
    checks = _checks(_text_layer_form(["Ana", "Ruiz"]))
    assert checks["signed"].passed is None


def test_fill_line_is_not_a_letter_stroke() -> None:
    # Block capitals written on a fill line end in straight strokes shorter
    # than the label above them. The printed line is the long one.
    from classifiers.form_regions import _rule_below

    image = Image.new("L", (900, 200), 255)
    draw = ImageDraw.Draw(image)
    label = (100, 20, 280, 38)

    draw.rectangle((110, 66, 190, 68), fill=0)  # the bottom of "MARY"
    draw.rectangle((100, 80, 700, 81), fill=0)  # the printed fill line
    rule = _rule_below(ink_map(image), label, 18.0, 900, 60)
    assert rule is not None
    assert rule[2] - rule[0] > 500


@pytest.mark.parametrize(
    ("line", "other"),
    [
        ("Signature of person picking up", True),
        ("Signature of witness", True),
        ("Staff signature", True),
        ("Patient or representative signature", False),
        ("Firma de quien recoge", True),
        ("Signature of patient or legal representative", False),
    ],
)
def test_names_another_signer(line: str, other: bool) -> None:
    from classifiers.form_regions import _names_another_signer

    start = line.lower().find("signature")
    start = line.lower().find("firma") if start < 0 else start
    end = start + len("signature" if "ignature" in line else "firma")
    assert (
        _names_another_signer("Name\n" + line + "\nDate", start + 5, end + 5) is other
    )


def test_signed_guessed_area_below_decision() -> None:
    from classifiers import checks as checks_module
    from classifiers.form_regions import FieldRegion, FormRegions

    image, draw = _canvas()
    points = [(150 + i * 3, 60 + 15 * math.sin(i / 3)) for i in range(90)]
    draw.line(points, fill=0, width=3)
    page = Page(Path("x.pdf"), 1, image, 200, [])
    label = (10, 50, 130, 75)
    guessed = FieldRegion("signature", (135, 30, 590, 90), None, label, "label")
    regions = FormRegions(page, None, fields={"signature": guessed}, label_height=20)

    check = checks_module.check_signed(page, regions)

    assert check.passed is True
    assert check.confidence < 0.8


def test_other_signer_not_personal_representative() -> None:
    from classifiers.form_regions import _names_another_signer

    line = "Name\nSignature of patient or personal representative\nDate"
    assert not _names_another_signer(line, 5, 14)


def test_rule_below_skips_struck_word() -> None:
    from classifiers.form_regions import _rule_below

    image, draw = _canvas()
    label = (20, 150, 120, 168)
    draw.line([(20, 205), (560, 205)], fill=0, width=2)
    font = ImageFont.load_default(size=22)
    draw.text((40, 180), "Summit Hills", fill=0, font=font)
    draw.line([(36, 192), (166, 192)], fill=0, width=3)
    rule = _rule_below(ink_map(image), label, 18.0, 600, 60)
    assert rule is not None
    assert rule[1] >= 200


def test_rule_right_skips_letter_edges() -> None:
    # The tops of "organization)" after the label "Release to" read as a
    # straight run, while the real fill line is on the next row.
    from classifiers.form_regions import _rule_right_of

    image, draw = _canvas()
    label = (20, 150, 120, 168)
    draw.line([(170, 160), (320, 160)], fill=0, width=3)
    word = Word("organization)", 96.0, (168, 150, 330, 180), (1, 1, 1))
    ink = ink_map(image)

    assert _rule_right_of(ink, label, 18.0, 600, 60, []) is not None
    assert _rule_right_of(ink, label, 18.0, 600, 60, [word]) is None


def test_rule_below_keeps_short_line() -> None:
    from classifiers.form_regions import _rule_below

    image, draw = _canvas()
    draw.line([(20, 192), (140, 192)], fill=0, width=2)
    rule = _rule_below(ink_map(image), (20, 150, 120, 168), 18.0, 600, 60)
    assert rule is not None
    assert 188 <= rule[1] <= 194


# Labels printed left of their box, whose last word OCR read together with
# the box and the circle drawn around it: as "reports(L_]}", and as a word
# ending in ")" with the box beyond the usual search reach.
MERGED_LABEL_CASES = [
    (
        (1105, 52, 1146, 94),
        (1090, 40, 1165, 108),
        [
            ("X-ray", 92.0, (708, 58, 816, 94)),
            ("/", 92.0, (805, 54, 821, 99)),
            ("imaging", 96.0, (829, 59, 957, 95)),
            ("reports(L_]}", 60.0, (972, 37, 1173, 116)),
        ],
        36.0,
        (54, 116),
    ),
    (
        (1148, 84, 1190, 126),
        (1125, 68, 1216, 134),
        [
            ("X-ray", 91.0, (752, 91, 839, 127)),
            ("/", 91.0, (846, 88, 862, 130)),
            ("imaging", 84.0, (873, 91, 1001, 128)),
            ("reponse)", 2.0, (1015, 68, 1216, 176)),
        ],
        29.0,
        (68, 176),
    ),
]


@pytest.mark.parametrize(
    ("box", "circle", "read", "height", "rows"), MERGED_LABEL_CASES
)
def test_box_found_past_merged_label_word(
    box: tuple[int, int, int, int],
    circle: tuple[int, int, int, int],
    read: list[tuple[str, float, tuple[int, int, int, int]]],
    height: float,
    rows: tuple[int, int],
) -> None:
    from classifiers.form_regions import _checkbox_beside, _extend_label
    from intake.types import Word

    image = Image.new("L", (1400, 260), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, outline=0, width=3)
    draw.ellipse(circle, outline=0, width=3)
    words = [Word(text, conf, bbox) for text, conf, bbox in read]
    page = Page(Path("scan.pdf"), 1, image, 200, words)

    label = _extend_label(page, words[:1], height)
    right = max(word.bbox[2] for word in label)
    region = (words[0].bbox[0], rows[0], right, rows[1])
    found = _checkbox_beside(ink_map(image), region, height, "xray")

    assert [word.text for word in label] == [word.text for word in words]
    assert found.box is not None
    assert abs(found.box[0] - box[0]) <= 4


def test_scanned_tick_beside_box_goes_to_review() -> None:
    # A sample scan whose third-party form on page 4 has its x-ray tick
    # drawn under and right of the box, the box's inside left empty.
    from intake.pipeline import analyse_pages
    from intake.settings import Settings

    scan = Path(__file__).parent.parent / "samples" / "corpus" / "scan-0023.pdf"
    documents = analyse_pages(scan, Settings.from_env(workers=1), TODAY)
    form = next(d for d in documents if d.page_numbers == [4])
    check = form.checks["xray_scan_reports_checked"]

    assert form.doc_type == "third_party_release"
    assert check.passed is True
    assert check.confidence < MIN_CHECK_CONFIDENCE
    assert form.status == "needs_review"
    assert "xray_box_uncertain" in form.reasons


def _form_with_line_over_label() -> Page:
    """Build a page whose purpose line slopes down to just above the next label.

    The line, broken where the handwriting crosses it, ends right above "or
    expiration event". That label's own fill line is under it.
    """
    image = Image.new("L", (2550, 3300), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(571, 1992), (900, 2000)], fill=0, width=3)
    draw.line([(1067, 2004), (2314, 2038)], fill=0, width=3)
    draw.line([(212, 2150), (1027, 2150)], fill=0, width=3)
    draw.line([(1089, 2175), (2314, 2175)], fill=0, width=3)
    rows = [
        (
            "Reason 219 1938 349 1970|for 363 1941 409 1971|release 422 1944 548 1976|"
            "Second 607 1949 747 1987|opinion 764 1961 902 2000"
        ),
        (
            "Expiration 216 2027 351 2058|date 362 2032 421 2056|or 1089 2058 1116 2076|"
            "expiration 1125 2055 1259 2084|event 1270 2062 1344 2082|"
            "(e.g., 1356 2060 1422 2091|end 1435 2063 1484 2087|of 1495 2064 1519 2087|"
            "treatment) 1529 2062 1669 2102"
        ),
        "When 1100 2125 1200 2170|my 1215 2125 1279 2170|case 1293 2125 1380 2170",
    ]
    words = []
    for number, row in enumerate(rows):
        for item in row.split("|"):
            text, *box = item.split()
            left, top, right, bottom = (int(value) for value in box)
            words.append(Word(text, 95.0, (left, top, right, bottom), (number, 1, 1)))
    # Draw pen strokes where the handwritten words are.
    for word in words[-3:]:
        left, top, right, bottom = word.bbox
        for x in range(left, right - 10, 14):
            draw.line([(x, bottom - 4), (x + 10, top + 6)], fill=0, width=3)
    return Page(Path("form.tif"), 1, image, 300, words, language="en")


def test_label_ignores_line_of_row_above() -> None:
    page = _form_with_line_over_label()
    regions = locate_regions(page, None)

    event = regions.fields["expiry_event"]
    expiry = check_expiry(page, regions, "en")

    label_bottom = 2084
    assert event.region[1] >= label_bottom
    assert expiry.passed is True
    assert expiry.detail == "expiry event"
