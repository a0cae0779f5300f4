"""Business days and retention dates for the Image Service Center's rules.

Images of an exam exist from the second business day after the exam day.
Business days are Monday to Friday, less US federal holidays and the
weekdays on which a weekend holiday is observed, as the ``holidays``
package (0.109) lists them for country "US" with no state. Images are kept
seven years after the patient's last exam, ten for mammograms.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

import holidays

IMAGE_DELAY_BUSINESS_DAYS = 2
"""Business days after the exam day from which its images can be released."""
RETENTION_YEARS = 7
MAMMOGRAM_RETENTION_YEARS = 10

MAMMOGRAM_PATTERN = re.compile(
    r"mammo|mamogra|mastogra|tomosynthesis|breast\s+(screen|imaging)|\bMG\b",
    re.IGNORECASE,
)
"""Words that mark an exam description as a mammogram (English and Spanish)."""


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    """Return True for a weekday that is not a US federal holiday."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def add_business_days(start: date, count: int) -> date:
    """Return the ``count``-th business day after ``start`` (``count`` >= 0).

    ``start`` itself never counts, so ``count`` 0 returns ``start``.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def images_ready_on(exam_date: date) -> date:
    """Return the first day on which the images of an exam can be released."""
    return add_business_days(exam_date, IMAGE_DELAY_BUSINESS_DAYS)


def is_mammogram(description: str | None) -> bool:
    """Return True when an exam description names a mammogram."""
    return bool(description and MAMMOGRAM_PATTERN.search(description))


def add_years(day: date, years: int) -> date:
    """Return the same calendar day ``years`` later; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retained_until(last_exam: date, mammogram: bool) -> date:
    """Return the last day on which images are still kept.

    Args:
        last_exam: The date of the patient's most recent exam.
        mammogram: True when the requested exam is a mammogram.
    """
    years = MAMMOGRAM_RETENTION_YEARS if mammogram else RETENTION_YEARS
    return add_years(last_exam, years)
