"""Tests for recovering text blocks that tesseract's page layout dropped."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.coverage import recover_dropped_text, uncovered_bands
from ocr.tesseract import Deadline, read_words

FONT = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf")
PARAGRAPHS = [
    ["Dear colleagues of the Image Service Center,"],
    [
        "Please send a copy on CD of the magnetic resonance study of the left",
        "knee performed on 02/06/2025 for my patient Pilar Zuniga Paz, born",
        "on 1989-03-29, to our office at the address above.",
    ],
    ["The signed authorization is attached. Thank you for your help."],
]


def letter() -> tuple[Image.Image, list[tuple[int, int]]]:
    """Render the paragraphs at 200 dpi; return the page and each one's rows."""
    if not FONT.exists():
        pytest.skip(f"{FONT} is absent; install fonts-liberation")
    font = ImageFont.truetype(str(FONT), 34)
    image = Image.new("L", (1700, 1200), 255)
    draw = ImageDraw.Draw(image)
    spans, y = [], 150
    for paragraph in PARAGRAPHS:
        top = y
        for line in paragraph:
            draw.text((150, y), line, font=font, fill=0)
            y += 50
        spans.append((top, y))
        y += 60
    return image, spans


def test_dropped_paragraph_is_read_again() -> None:
    image, spans = letter()
    words = read_words(image, "eng", 3, 60)
    top, bottom = spans[1]
    dropped = [w for w in words if not top - 5 <= w.bbox[1] <= bottom]
    assert len(dropped) < len(words)

    recovered = recover_dropped_text(
        image, dropped, 200, "eng", Deadline(60), source=Path("x.tif"), page_number=1
    )

    added = recovered[len(dropped) :]
    text = " ".join(word.text for word in added)
    print(f"recovered: {text!r}")
    assert "Zuniga" in text
    assert "1989-03-29," in text
    assert "Dear" not in text  # what was read stays read once
    assert all(word.line[0] >= 1000 for word in added)


def test_fully_read_page_has_no_bands() -> None:
    image, _ = letter()
    words = read_words(image, "eng", 3, 60)
    assert uncovered_bands(image, words, 200) == []


def test_scribble_is_not_taken_for_print() -> None:
    image, _ = letter()
    words = read_words(image, "eng", 3, 60)
    draw = ImageDraw.Draw(image)
    rng = random.Random(3)
    points = [(150 + 12 * i, 900 + rng.randint(-25, 25)) for i in range(80)]
    draw.line(points, fill=0, width=4)

    recovered = recover_dropped_text(
        image, words, 200, "eng", Deadline(60), source=Path("x.tif"), page_number=1
    )

    assert recovered == words
