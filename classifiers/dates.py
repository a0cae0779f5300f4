"""Find and normalize dates written on forms and letters.

Dates arrive in many shapes: 03/14/2026, 3-14-26, 14/03/2026 on Spanish
forms, March 14, 2026, 14 marzo 2026, 14 de marzo de 2026, 2026-03-14.
Every reading becomes an ISO date with a confidence. The rules:

- A four-digit first number is a year (year-month-day).
- Otherwise English text is month/day/year and Spanish text is
  day/month/year. When that order gives an impossible date but the other
  order gives a valid one (14/03/2026 on an English page), the other order
  is used with a low confidence, so the reading goes to review.
- A two-digit year is placed in the century that keeps it at most
  ``future_years`` after today, again with a lower confidence.
- Nothing is guessed beyond that: a date that is not valid in either order
  or that lacks a day, month or year is not returned.

OCR confuses a few letters with digits (O for 0, l or I for 1). A date that
only reads after that repair gets a lower confidence.

Known limits: dates written as words ("the fourteenth of March") and dates
without a year are not read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5,
    "june": 6, "july": 7, "august": 8, "september": 9, "october": 10,
    "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6,
    "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
    "noviembre": 11, "diciembre": 12,
    "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}  # fmt: skip
"""Month names and abbreviations in English and Spanish, without accents."""

FULL_MONTH_NAMES = [name for name in MONTHS if len(name) >= 5]
"""Names long enough to match fuzzily without colliding with other words."""

DEFAULT_FUTURE_YEARS = 10
"""How far past today a two-digit year may land before it means 19xx."""

CONFIDENCE_CLEAR = 0.97
CONFIDENCE_LANGUAGE_ORDER = 0.93
"""Both numbers could be the month; the page language decides the order."""
CONFIDENCE_SWAPPED = 0.55
CONFIDENCE_TWO_DIGIT_YEAR = 0.88
CONFIDENCE_OCR_REPAIR = 0.8
CONFIDENCE_FUZZY_MONTH = 0.8
FUZZY_MONTH_MIN_RATIO = 75
"""Minimum rapidfuzz ratio between a word of five letters or more and a
month name ("Octder" and "October" score 77)."""
LOOKALIKE_LETTERS: dict[str, str] = {
    "s": "j", "i": "j", "l": "j", "t": "f", "f": "t", "o": "a", "a": "o",
    "e": "c", "c": "e", "v": "u", "u": "v", "n": "m", "m": "n", "r": "n",
    "q": "g", "g": "q", "h": "b", "b": "h", "d": "a",
}  # fmt: skip
"""Handwritten letters that OCR reads as another, as read -> meant. A short
month word is tried with one of these swapped ("San" becomes "Jan")."""
CONFIDENCE_JOINED = 0.75
"""Day and year run together ("Feb 12026"), split before the 19xx/20xx year."""

CONFIDENCE_LOST_SEPARATOR = 0.45
"""A numeric date read only after putting back a lost separator. It is under
the decision's minimum field confidence (0.5), so a letter whose date needs
this repair goes to a person."""
LOST_SEPARATOR_EDITS = 2
_SEPARATED_DIGITS = re.compile(r"(?<![\d/\-])\d[\d/\-]{4,9}\d(?![\d/\-])")
"""A run of 6 to 11 digits and separators: a whole numeric date that did
not parse as read."""
_SEPARATOR = r"\s?[/\-.]\s?"
NUMERIC_DATE = re.compile(
    rf"(?<![\d/.\-])(\d{{1,4}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{1,4}})(?![\d/])"
)
_MONTH_WORD = r"([a-z]{3,10})\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|o|º)?"
MONTH_FIRST = re.compile(
    rf"(?<![a-z]){_MONTH_WORD}\s*[\s\-,]?\s*{_DAY}"
    rf"(?:\s*[,.]\s*|[\s\-]+)(\d{{4}}|\d{{2}})(?!\d)"
)
""""March 14, 2026", also with the separators OCR garbles: "APRIL.14, 1934",
"September 13,2025", "Sept 13. 2025"."""
MONTH_FIRST_JOINED = re.compile(
    rf"(?<![a-z]){_MONTH_WORD}\s*[\s\-,]\s*(\d{{1,2}})((?:19|20)\d{{2}})(?!\d)"
)
""""Feb 12026": OCR lost the space between the day and the year."""
DAY_FIRST = re.compile(
    rf"(?<!\d){_DAY}\s*(?:[\s\-]|\s+de\s+){_MONTH_WORD}"
    rf"\s*,?(?:[\s\-]|\s+de[l]?\s+)\s*(\d{{4}}|\d{{2}})(?!\d)"
)

_OCR_DIGITS = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1"})
"""Letters OCR reads for digits; the text is already lowercase here."""
_DIGIT_RUN = re.compile(r"[0-9oli|/\-. ]{6,}")


@dataclass(frozen=True)
class DateReading:
    """A date found in text, as an ISO string, with where it was found."""

    iso: str
    confidence: float
    start: int
    """Offset of the first character of the date in the searched text."""
    end: int


def fold_text(text: str) -> str:
    """Return ``text`` lowercased with accents removed, one char per char.

    Offsets into the result are offsets into ``text``: a character whose
    decomposition is not a single base letter (a ligature) is kept as is.
    """
    folded = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in base if not unicodedata.combining(c))
        candidate = base.lower() if len(base) == 1 else char
        folded.append(candidate if len(candidate) == 1 else char)
    return "".join(folded)


def find_dates(
    text: str,
    language: str = "en",
    today: date | None = None,
    future_years: int = DEFAULT_FUTURE_YEARS,
) -> list[DateReading]:
    """Find every date in ``text``, in order of position.

    Args:
        text: Free text, such as one OCR line or a whole page.
        language: "en" reads 03/04/2026 as March 4, "es" as 3 April.
        today: Reference day for two-digit years; defaults to today.
        future_years: Years past ``today`` a two-digit year may reach.

    Returns:
        Non-overlapping readings, sorted by ``start``.
    """
    today = today or date.today()
    folded = fold_text(text)
    readings = _read_all(folded, language, today, future_years, 1.0)
    repaired = _repair_digits(folded)
    if repaired != folded:
        extra = _read_all(
            repaired, language, today, future_years, CONFIDENCE_OCR_REPAIR
        )
        readings.extend(r for r in extra if not _overlaps(r, readings))
    return sorted(readings, key=lambda reading: reading.start)


def parse_date(
    text: str,
    language: str = "en",
    today: date | None = None,
    future_years: int = DEFAULT_FUTURE_YEARS,
) -> DateReading | None:
    """Read the single date in a field's text.

    Returns:
        The most confident reading, or None when the text contains no date.
    """
    readings = find_dates(text, language, today, future_years)
    if not readings:
        return _read_lost_separator(text, language, today or date.today(), future_years)
    return max(readings, key=lambda reading: reading.confidence)


def _read_lost_separator(
    text: str, language: str, today: date, future_years: int
) -> DateReading | None:
    """Read a handwritten numeric date whose separators OCR lost or read as "1".

    "07104/1983" (a slash read as "1"), "1/5198" and "0810812023" are
    tried with up to two separators put in, each either between two digits
    or in place of a "1". The reading is kept only when every way of
    doing so that gives a valid date gives the same date: "0812/1996"
    could be 08/12/1996 or 08/2/1996, so it is not read.
    """
    folded = fold_text(text).replace(" ", "")
    dates = set()
    found: DateReading | None = None
    for run in _SEPARATED_DIGITS.finditer(folded):
        token = run.group(0)
        for variant in _separator_variants(token, LOST_SEPARATOR_EDITS):
            match = NUMERIC_DATE.fullmatch(variant)
            if match is None:
                continue
            result = _read_numeric(match.groups(), language, today, future_years)
            if result is None:
                continue
            dates.add(result[0])
            confidence = min(result[1], CONFIDENCE_LOST_SEPARATOR)
            found = DateReading(result[0], confidence, run.start(), run.end())
    if len(dates) != 1:
        return None
    return found


def _separator_variants(token: str, edits: int) -> set[str]:
    """Return ``token`` with up to ``edits`` slashes put between or over digits."""
    variants = {token}
    for _ in range(edits):
        grown = set()
        for variant in variants:
            for index in range(1, len(variant)):
                before, after = variant[index - 1], variant[index]
                if before.isdigit() and after.isdigit():
                    grown.add(variant[:index] + "/" + variant[index:])
                if after == "1" and before.isdigit() and index + 1 < len(variant):
                    grown.add(variant[:index] + "/" + variant[index + 1 :])
        variants |= grown
    return variants - {token}


def _read_all(
    folded: str, language: str, today: date, future_years: int, factor: float
) -> list[DateReading]:
    found: list[DateReading] = []
    readers = (
        (NUMERIC_DATE, _read_numeric),
        (MONTH_FIRST, _read_month_first),
        (DAY_FIRST, _read_day_first),
        (MONTH_FIRST_JOINED, _read_month_first_joined),
    )
    for pattern, reader in readers:
        for match in pattern.finditer(folded):
            result = reader(match.groups(), language, today, future_years)
            if result is None:
                continue
            iso, confidence = result
            reading = DateReading(
                iso, round(confidence * factor, 3), match.start(), match.end()
            )
            if not _overlaps(reading, found):
                found.append(reading)
    return found


def _overlaps(reading: DateReading, others: list[DateReading]) -> bool:
    return any(reading.start < o.end and o.start < reading.end for o in others)


def _repair_digits(folded: str) -> str:
    """Replace letters OCR often reads for digits, inside date-like runs."""

    def repair(match: re.Match[str]) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) < 3:
            return run
        return run.translate(_OCR_DIGITS)

    return _DIGIT_RUN.sub(repair, folded)


def _read_numeric(
    groups: tuple[str, ...], language: str, today: date, future_years: int
) -> tuple[str, float] | None:
    first, second, third = groups
    if len(first) == 4:
        if len(third) > 2:
            return None
        return _make_date(int(first), int(second), int(third), CONFIDENCE_CLEAR)
    if len(first) == 3 or len(third) not in (2, 4):
        return None
    year, confidence = _expand_year(third, today, future_years)
    if year is None:
        return None
    a, b = int(first), int(second)
    month, day = (a, b) if language != "es" else (b, a)
    preferred = _make_date(year, month, day, confidence)
    if preferred is not None:
        if a <= 12 and b <= 12 and a != b:
            return preferred[0], min(confidence, CONFIDENCE_LANGUAGE_ORDER)
        return preferred
    return _make_date(year, day, month, CONFIDENCE_SWAPPED)


def _read_month_first(
    groups: tuple[str, ...], language: str, today: date, future_years: int
) -> tuple[str, float] | None:
    word, day, year_text = groups
    return _read_named(word, day, year_text, today, future_years)


def _read_month_first_joined(
    groups: tuple[str, ...], language: str, today: date, future_years: int
) -> tuple[str, float] | None:
    word, day, year_text = groups
    result = _read_named(word, day, year_text, today, future_years)
    if result is None:
        return None
    return result[0], min(result[1], CONFIDENCE_JOINED)


def _read_day_first(
    groups: tuple[str, ...], language: str, today: date, future_years: int
) -> tuple[str, float] | None:
    day, word, year_text = groups
    return _read_named(word, day, year_text, today, future_years)


def _read_named(
    word: str, day: str, year_text: str, today: date, future_years: int
) -> tuple[str, float] | None:
    month, confidence = _lookup_month(word)
    if month is None:
        return None
    year, year_confidence = _expand_year(year_text, today, future_years)
    if year is None:
        return None
    return _make_date(year, month, int(day), min(confidence, year_confidence))


def _lookup_month(word: str) -> tuple[int | None, float]:
    """Return the month a word names, allowing for OCR slips, and a confidence.

    A word of five letters or more matches the closest full month name. A
    shorter word matches when swapping one look-alike letter gives exactly
    one month abbreviation.
    """
    if word in MONTHS:
        return MONTHS[word], CONFIDENCE_CLEAR
    if len(word) < 5:
        months = {
            MONTHS[candidate]
            for candidate in _lookalike_spellings(word)
            if candidate in MONTHS
        }
        if len(months) == 1:
            return months.pop(), CONFIDENCE_FUZZY_MONTH
        return None, 0.0
    best = process.extractOne(word, FULL_MONTH_NAMES, scorer=fuzz.ratio)
    if best is None or best[1] < FUZZY_MONTH_MIN_RATIO:
        return None, 0.0
    return MONTHS[best[0]], CONFIDENCE_FUZZY_MONTH


def _lookalike_spellings(word: str) -> list[str]:
    """Return ``word`` with each one of its letters swapped for its look-alike."""
    spellings = []
    for index, letter in enumerate(word):
        meant = LOOKALIKE_LETTERS.get(letter)
        if meant is not None:
            spellings.append(word[:index] + meant + word[index + 1 :])
    return spellings


def _expand_year(text: str, today: date, future_years: int) -> tuple[int | None, float]:
    if len(text) == 4:
        return int(text), CONFIDENCE_CLEAR
    if len(text) != 2:
        return None, 0.0
    year = 2000 + int(text)
    if year > today.year + future_years:
        year -= 100
    return year, CONFIDENCE_TWO_DIGIT_YEAR


def _make_date(
    year: int, month: int, day: int, confidence: float
) -> tuple[str, float] | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat(), confidence
    except ValueError:
        return None
