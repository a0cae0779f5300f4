"""Dates written the ways people write them on forms and letters.

English documents put the month first; Spanish documents put the day first,
so 03/04/2026 is March 4 on an English form and 3 April on a Spanish one.
"""

from __future__ import annotations

import random
from datetime import date

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December")
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
             "agosto", "septiembre", "octubre", "noviembre", "diciembre")

STYLES_EN = ("mm/dd/yyyy", "m/d/yy", "m-d-yy", "month d, yyyy", "mon d yyyy",
             "yyyy-mm-dd", "m/d/yyyy", "mm-dd-yyyy")
STYLES_ES = ("dd/mm/yyyy", "d/m/yy", "d month yyyy", "d de month de yyyy",
             "dd-mm-yyyy", "yyyy-mm-dd")


def format_date(day: date, style: str) -> str:
    """Write ``day`` in one of the styles of ``STYLES_EN`` or ``STYLES_ES``.

    Raises:
        ValueError: for an unknown style.
    """
    month_en = MONTHS_EN[day.month - 1]
    month_es = MONTHS_ES[day.month - 1]
    short_year = f"{day.year % 100:02d}"
    formats = {
        "mm/dd/yyyy": f"{day.month:02d}/{day.day:02d}/{day.year}",
        "m/d/yyyy": f"{day.month}/{day.day}/{day.year}",
        "m/d/yy": f"{day.month}/{day.day}/{short_year}",
        "m-d-yy": f"{day.month}-{day.day}-{short_year}",
        "mm-dd-yyyy": f"{day.month:02d}-{day.day:02d}-{day.year}",
        "month d, yyyy": f"{month_en} {day.day}, {day.year}",
        "mon d yyyy": f"{month_en[:3]} {day.day} {day.year}",
        "yyyy-mm-dd": day.isoformat(),
        "dd/mm/yyyy": f"{day.day:02d}/{day.month:02d}/{day.year}",
        "d/m/yy": f"{day.day}/{day.month}/{short_year}",
        "dd-mm-yyyy": f"{day.day:02d}-{day.month:02d}-{day.year}",
        "d month yyyy": f"{day.day} {month_es} {day.year}",
        "d de month de yyyy": f"{day.day} de {month_es} de {day.year}",
    }
    if style not in formats:
        raise ValueError(f"unknown date style {style!r}; use one of {list(formats)}")
    return formats[style]


def pick_style(rng: random.Random, language: str, two_digit_year: bool = True) -> str:
    """Choose a date style used in ``language``.

    Args:
        rng: Seeded random source.
        language: "en" or "es".
        two_digit_year: False to choose only styles with a four-digit year.
            Callers pass False for birth dates before 1969, because
            Python's ``%y`` reads 00-68 as 2000-2068.
    """
    styles = STYLES_ES if language == "es" else STYLES_EN
    if not two_digit_year:
        styles = tuple(style for style in styles if "yyyy" in style)
    return rng.choice(styles)


def write_date(day: date, rng: random.Random, language: str,
               two_digit_year: bool = True) -> str:
    """Write ``day`` in a style drawn for ``language``."""
    return format_date(day, pick_style(rng, language, two_digit_year))


def letter_date(day: date, language: str) -> str:
    """Write the date line of a typed letter."""
    if language == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
