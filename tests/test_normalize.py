"""Tests for ocr.normalize: speckle, deskew and orientation, with tesseract."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from intake.settings import Settings
from intake.types import Page, Word
from ocr import normalize
from ocr.load import load_pages
from ocr.normalize import (
    choose_rotation,
    count_dictionary_words,
    estimate_skew,
    normalize_page,
    pick_rotation,
    remove_speckle,
)
from ocr.tesseract import Deadline, read_words

DATA = Path(__file__).parents[2] / "shared" / "data"
ORIENTATION_CASES = DATA / "cases" / "page-orientation"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

FORM_LINES = [
    "AUTHORIZATION TO RELEASE IMAGES",
    "Patient name and date of birth",
    "Please release the imaging studies listed below",
    "to the clinic named on this form.",
    "Exam: computed tomography of the chest",
    "Signature of patient or legal representative",
]
RULE_TOP = 1500
RULE_LEFT = 150
RULE_RIGHT = 1550


def font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), 40)
    return ImageFont.load_default(size=40)


def form_image() -> Image.Image:
    """A 1-bit, 200 dpi half-letter page: text lines and one long rule."""
    image = Image.new("L", (1700, 1700), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(FORM_LINES):
        draw.text((150, 150 + index * 80), line, font=font(), fill=0)
    draw.rectangle((RULE_LEFT, RULE_TOP, RULE_RIGHT, RULE_TOP + 5), fill=0)
    return image.convert("1").convert("L")


def as_page(image: Image.Image, dpi: int = 200) -> Page:
    return Page(source=Path("synthetic.tif"), number=1, image=image, dpi=dpi)


def read_text(image: Image.Image) -> str:
    return " ".join(word.text for word in read_words(image, "eng", 3, 60))


def rule_angle(image: Image.Image) -> float:
    """Measure the long rule's angle (counter-clockwise degrees)."""
    dark = np.asarray(image) < 128
    columns = np.nonzero(dark.sum(axis=0))[0]
    # The rule is the lowest ink; look only below the text.
    rows = np.nonzero(dark.sum(axis=1))[0]
    band = dark[rows.max() - 120 : rows.max() + 1]
    left = columns.min() + 200
    right = columns.max() - 200
    left_rows = np.nonzero(band[:, left - 20 : left + 20].any(axis=1))[0]
    right_rows = np.nonzero(band[:, right - 20 : right + 20].any(axis=1))[0]
    rise = left_rows.mean() - right_rows.mean()
    return math.degrees(math.atan2(rise, right - left))


# --- orientation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("pillow_turn", "expected_rotation"), [(90, 90), (180, 180), (270, 270)]
)
def test_turned_bilevel_page_comes_back_upright(
    pillow_turn: int, expected_rotation: int
) -> None:
    # Pillow turns counter-clockwise, so the fix is the same angle clockwise.
    turned = form_image().rotate(pillow_turn, expand=True)

    page = normalize_page(as_page(turned))

    assert page.rotation == expected_rotation
    assert page.image.size == (1700, 1700)
    assert "AUTHORIZATION" in read_text(page.image)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({0: 4, 90: 1, 180: 0, 270: 40}, 270),  # sideways, a few words upright
        ({0: 16, 90: 1, 180: 75, 270: 0}, 180),  # upside-down junk read as words
    ],
)
def test_every_turn_is_read(
    monkeypatch: pytest.MonkeyPatch, counts: dict[int, int], expected: int
) -> None:
    # Word counts stand in for tesseract. Both tables come from generated
    # pages whose line direction was misjudged, so a reading limited to the
    # turns that direction suggests missed the right one.
    read: list[int] = []

    def fake_score(sample, rotation, deadline, source, page_number):  # type: ignore[no-untyped-def]
        read.append(rotation)
        return counts[rotation]

    monkeypatch.setattr(normalize, "_score_rotation", fake_score)

    choice = choose_rotation(form_image(), 200, Deadline(60), Path("x.tif"), 1)

    assert sorted(read) == [0, 90, 180, 270]
    assert choice.rotation == expected
    assert not choice.uncertain


def test_upright_page_is_not_turned() -> None:
    page = normalize_page(as_page(form_image()))

    assert page.rotation == 0
    assert abs(page.skew) < 0.2


@pytest.mark.parametrize(
    ("name", "expected_rotation"),
    [
        ("upright_fine.tif", 0),
        ("upside_down_fine.tif", 180),
        ("sideways_cw_fine.tif", 270),
        ("sideways_cw_normal.tif", 270),
    ],
)
def test_orientation_case_comes_out_upright(name: str, expected_rotation: int) -> None:
    path = ORIENTATION_CASES / name
    if not path.exists():
        pytest.skip(f"{path} is absent; the shared sample data is not installed")
    loaded = load_pages(path, Settings())[0]

    page = normalize_page(loaded)

    text = read_text(page.image)
    print(f"{name}: turned {page.rotation}, skew {page.skew}")
    assert page.rotation == expected_rotation
    assert not page.orientation_uncertain
    assert "AUTHORIZATION TO RELEASE IMAGES" in text


def word(text: str, conf: float = 95.0, vertical: bool = False) -> Word:
    width, height = 10 * len(text), 14
    if vertical:
        width, height = height, width
    return Word(text, conf, (0, 0, width, height))


def test_count_dictionary_words_rejects_upside_down_text() -> None:
    upright = [
        word(text) for text in ["Please", "release", "the", "IMAGES,", "Patient:"]
    ]
    upside_down = [
        word(text) for text in ["raunqeuBis", "pleyBuuds", "‘aea49S", ":0]", "$}/Nsa1"]
    ]
    unsure = [word("release", conf=30.0)]

    assert count_dictionary_words(upright) == 5
    assert count_dictionary_words(upside_down) == 0
    assert count_dictionary_words(unsure) == 0


def test_count_dictionary_words_rejects_vertical_words() -> None:
    sideways = [word(text, vertical=True) for text in ["Please", "release", "IMAGES"]]
    assert count_dictionary_words(sideways) == 0


@pytest.mark.parametrize(
    ("scores", "expected", "uncertain"),
    [
        ({0: 20, 180: 1}, 0, False),
        ({0: 1, 180: 20}, 180, False),
        ({0: 0, 90: 12, 270: 1}, 90, False),
        ({0: 0, 90: 7, 270: 6}, 0, True),  # unsure between the two sideways turns
        ({0: 0, 180: 2}, 0, True),  # too few words to act on
        ({0: 10, 180: 10}, 0, False),
        ({0: 0, 90: 0, 180: 0, 270: 0}, 0, False),  # blank: nothing to doubt
    ],
)
def test_pick_rotation(scores: dict[int, int], expected: int, uncertain: bool) -> None:
    choice = pick_rotation(scores)
    assert choice.rotation == expected
    assert choice.uncertain is uncertain


# --- skew -----------------------------------------------------------------


@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_skewed_page_is_deskewed(angle: float) -> None:
    skewed = form_image().rotate(
        angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC
    )
    assert abs(rule_angle(skewed) - angle) < 0.3  # the measure itself works

    page = normalize_page(as_page(skewed))

    assert abs(page.skew - angle) < 0.5
    assert abs(rule_angle(page.image)) < 0.5
    assert page.rotation == 0


def test_sideways_skewed_page_is_found_vertical() -> None:
    image = form_image().rotate(2.0, expand=True, fillcolor=255)

    estimate = estimate_skew(image.rotate(90, expand=True))

    assert estimate.vertical
    assert abs(estimate.angle - 2.0) < 0.5


@pytest.mark.parametrize("side", ["left", "top"])
def test_edge_shadow_does_not_hide_skew(side: str) -> None:
    skewed = form_image().rotate(-1.6, expand=True, fillcolor=255)
    # A scanner leaves a solid band along one side of the page.
    band = (0, 0, 24, skewed.height) if side == "left" else (0, 0, skewed.width, 24)
    ImageDraw.Draw(skewed).rectangle(band, fill=0)

    estimate = estimate_skew(skewed)

    assert not estimate.vertical
    assert abs(estimate.angle + 1.6) < 0.3


# --- blank pages and speckle ----------------------------------------------


def test_blank_page_is_left_alone() -> None:
    blank = Image.new("L", (1700, 2200), 255)

    page = normalize_page(as_page(blank))

    assert page.rotation == 0
    assert page.skew == 0.0
    assert read_words(page.image, "eng", 3, 60) == []


def test_scanner_noise_is_not_ink() -> None:
    noise = np.random.default_rng(7).integers(225, 256, (800, 600), dtype=np.uint8)

    page = normalize_page(as_page(Image.fromarray(noise)))

    assert page.rotation == 0
    assert page.skew == 0.0


def test_remove_speckle_keeps_full_stops() -> None:
    image = Image.new("L", (400, 400), 255)
    pixels = np.array(image)
    specks = [(20, 20), (100, 300), (350, 50)]
    for row, column in specks:
        pixels[row, column] = 0
    pixels[200:204, 200:204] = 0  # a full stop at 200 dpi

    cleaned = np.asarray(remove_speckle(Image.fromarray(pixels), 200))

    for row, column in specks:
        assert cleaned[row, column] == 255
    assert (cleaned[200:204, 200:204] == 0).all()


def test_text_layer_page_is_unchanged() -> None:
    image = form_image().rotate(180)
    page = Page(
        source=Path("a.pdf"), number=1, image=image, dpi=200, has_text_layer=True
    )

    assert normalize_page(page) is page
