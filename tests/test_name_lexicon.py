"""Repair of misread handwritten names from the census name lists."""

from __future__ import annotations

import itertools
import math
import string

import numpy as np
import pytest

from classifiers.name_lexicon import (
    census_names,
    repair_name_line,
    repair_print_confusions,
    styled_like,
)
from classifiers.second_reader import ReadLine, ctc_log_likelihood
from intake.types import Word

ALPHABET = {
    char: index + 1 for index, char in enumerate(string.ascii_letters + " .,-'")
}


def fake_line(steps: list[dict[str, float]]) -> ReadLine:
    """Build a line whose recognizer output is ``steps``, one dict per letter.

    Each letter step is followed by a step that is nearly all blank, like a
    recognizer's output between two letters. A step whose letters share
    less than half is read as blank, and only offers its letters.
    """
    rows = []
    for step in steps:
        row = np.full(len(ALPHABET) + 1, 1e-6)
        for char, share in step.items():
            row[ALPHABET[char]] = share
        row[0] = max(1e-6, 1.0 - sum(step.values()))
        rows.append(row / row.sum())
        blank = np.full(len(ALPHABET) + 1, 1e-6)
        blank[0] = 1.0
        rows.append(blank / blank.sum())
    probabilities = np.array(rows)
    reading = "".join(
        max(step, key=lambda char: step[char])
        for step in steps
        if sum(step.values()) >= 0.5
    )
    return ReadLine(Word(reading, 90.0, (0, 0, 10, 10)), probabilities, ALPHABET)


def clear(text: str, share: float = 0.98) -> list[dict[str, float]]:
    return [{char: share} for char in text]


def test_ctc_sums_every_alignment() -> None:
    rng = np.random.default_rng(5)
    probabilities = rng.dirichlet(np.ones(4), size=5)
    for labels in ([1, 2], [1, 1], [3], [2, 3, 2]):
        total = 0.0
        for path in itertools.product(range(4), repeat=5):
            collapsed = [key for key, _ in itertools.groupby(path) if key != 0]
            if collapsed == labels:
                total += math.prod(probabilities[t, k] for t, k in enumerate(path))
        assert ctc_log_likelihood(probabilities, labels) == pytest.approx(
            math.log(total)
        )


def test_repair_replaces_misread_letter() -> None:
    steps = clear("Bartholomew B") + [{"v": 0.6, "y": 0.35}] + clear("rne")
    line = fake_line(steps)
    assert line.word.text == "Bartholomew Bvrne"
    assert repair_name_line(line) == "Bartholomew Byrne"


def test_repair_keeps_clear_unlisted_name() -> None:
    assert "OYELARAN" not in census_names().every
    line = fake_line(clear("Robert Oyelaran"))
    assert repair_name_line(line) == "Robert Oyelaran"


def test_repair_keeps_reading_on_near_tie() -> None:
    # The image favours PERA by just as much as the census favours PENA.
    ranks = census_names().surname_ranks
    assert ranks["PENA"] < ranks["PERA"]
    share_n = 0.3 * ranks["PENA"] / ranks["PERA"]
    steps = clear("Ines Pe") + [{"x": 0.5, "n": share_n, "r": 0.3}] + clear("a")
    assert repair_name_line(fake_line(steps)) == "Ines Pexa"


def test_repair_prefers_the_more_common_name() -> None:
    ranks = census_names().surname_ranks
    assert ranks["PENA"] * 10 < ranks["PERA"]
    steps = clear("Ines Pe") + [{"x": 0.5, "n": 0.24, "r": 0.24}] + clear("a")
    assert repair_name_line(fake_line(steps)) == "Ines Pena"


def test_repair_of_surname_read_as_given_name() -> None:
    lists = census_names()
    assert "LUC" in lists.surnames
    assert "LUC" not in lists.given
    assert "LUE" in lists.given
    steps = clear("Lu") + [{"c": 0.9, "e": 0.09}] + clear(" Sato")
    assert repair_name_line(fake_line(steps)) == "Luc Sato"
    steps = clear("Sames") + clear(" Sato")
    steps[0] = {"S": 0.6, "J": 0.39}
    assert repair_name_line(fake_line(steps)) == "James Sato"


def test_repair_puts_in_no_short_name() -> None:
    steps = [{"A": 0.98}, {"u": 0.5}, {"i": 0.98}] + clear(" Sato")
    assert repair_name_line(fake_line(steps)) == "Aui Sato"


def test_repair_drops_stray_letter_from_short_name() -> None:
    # A stray stroke read as a faint "s" inside "Kim".
    steps = clear("David K") + [{"s": 0.55}] + clear("im")
    assert repair_name_line(fake_line(steps)) == "David Kim"


def test_repair_keeps_clear_letter_in_short_name() -> None:
    steps = clear("David Ksim", share=0.99)
    assert repair_name_line(fake_line(steps)) == "David Ksim"
    steps = clear("Liam Smith", share=0.99)
    assert repair_name_line(fake_line(steps)) == "Liam Smith"


def test_repair_without_probabilities() -> None:
    line = ReadLine(Word("Bartholomew Bvrne", 90.0, (0, 0, 1, 1)), None, ALPHABET)
    assert repair_name_line(line) == "Bartholomew Bvrne"


@pytest.mark.parametrize(
    ("name", "reading", "expected"),
    [
        ("FERNANDEZ", "Fervández", "Fernández"),
        ("BYRNE", "BVRNE", "BYRNE"),
        ("MONTGOMERY", "Montsomery", "Montgomery"),
        ("JESUS", "Sesús", "Jesús"),
    ],
)
def test_styled_like_keeps_case_and_accents(
    name: str, reading: str, expected: str
) -> None:
    assert styled_like(name, reading) == expected


def gap(share: float) -> dict[str, float]:
    """Return a step between two words: a space with ``share``, else blank."""
    return {" ": share}


@pytest.mark.parametrize(
    ("first", "space", "rest", "reading", "expected"),
    [
        ("Mar", 0.7, "garet Lopez", "Mar garet Lopez", "Margaret Lopez"),
        ("EVE", 0.3, "ASHWORTH", "EVEASHWORTH", "EVE ASHWORTH"),
        ("NANCY", 0.3, "C. ABERNATHY", "NANCYC. ABERNATHY", "NANCY C. ABERNATHY"),
    ],
)
def test_repair_mends_word_breaks(
    first: str, space: float, rest: str, reading: str, expected: str
) -> None:
    # A space under 0.5 is read as no space, but a repair may put it in.
    line = fake_line(clear(first) + [gap(space)] + clear(rest))
    assert line.word.text == reading
    assert repair_name_line(line) == expected


def test_repair_keeps_a_clear_gap() -> None:
    steps = clear("Mar") + [gap(0.9999)] + clear("garet Lopez")
    assert repair_name_line(fake_line(steps)) == "Mar garet Lopez"


@pytest.mark.parametrize("text", ["Maria garcia", "Ana de la Cruz", "Jo ann Lopez"])
def test_repair_keeps_names_and_particles_apart(text: str) -> None:
    first, rest = text.split(" ", 1)
    steps = clear(first) + [gap(0.7)] + clear(rest)
    assert repair_name_line(fake_line(steps)) == text


def test_repair_splits_no_lowercase_word() -> None:
    # DOMIN and GEE are both listed surnames.
    steps = clear("Lucia Domin") + [gap(0.3)] + clear("gee")
    assert repair_name_line(fake_line(steps)) == "Lucia Domingee"


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        ("Christopher Byme", "Christopher Byrne"),
        ("CHRISTOPHER BYME", "CHRISTOPHER BYRNE"),
        ("Ana Ruiz", "Ana Ruiz"),
        ("Robert Oyelaran", "Robert Oyelaran"),
        ("Liam Smith", "Liam Smith"),
        ("Sami Naim", "Sami Naim"),
        ("Ana Liaßler", "Ana Liaßler"),
    ],
)
def test_print_confusions_repaired(reading: str, expected: str) -> None:
    assert repair_print_confusions(reading) == expected
