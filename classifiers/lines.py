"""Group a page's OCR words into text lines and drop the fax header line.

Fax machines print a header across the top of every page they send (date,
time, sender, the sender's fax number, "P. 1/3"). It belongs to the
transport, not to the document: left in, its "fax" and "from" would make
every faxed page look like a cover sheet, so the stages that read content
work on ``content_lines``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from intake.types import BBox, Page, Word

FAX_HEADER_BAND = 0.06
"""Share of the page height, from the top, where a fax header can sit."""
_PAGE_COUNTER = re.compile(
    r"\b(?:p|pg|page|pag)\.?\s*\d{1,3}\s*(?:/|of|de)\s*\d{1,3}\b", re.I
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\b", re.I)
_LONG_NUMBER = re.compile(r"\d[\d\s().\-]{8,}\d")


@dataclass(frozen=True)
class TextLine:
    """Words that tesseract put on one line, left to right."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(word.text for word in self.words)

    @property
    def bbox(self) -> BBox:
        """The box around all the words."""
        return union_boxes([word.bbox for word in self.words])

    @property
    def height(self) -> float:
        """Median word height in pixels."""
        return float(median(word.bbox[3] - word.bbox[1] for word in self.words))

    @property
    def confidence(self) -> float:
        """Mean tesseract confidence of the words (0-100)."""
        return sum(word.conf for word in self.words) / len(self.words)


def union_boxes(boxes: list[BBox]) -> BBox:
    """Return the smallest box that contains every box in ``boxes``."""
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def page_lines(page: Page) -> list[TextLine]:
    """Return the page's lines, top to bottom, each left to right."""
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for word in page.words:
        if word.text.strip():
            groups.setdefault(word.line, []).append(word)
    lines = [
        TextLine(tuple(sorted(words, key=lambda w: w.bbox[0])))
        for words in groups.values()
    ]
    return sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))


def is_fax_header(line: TextLine, page_height: int) -> bool:
    """Return True for a fax machine's header line at the top of a page."""
    if line.bbox[3] > page_height * FAX_HEADER_BAND:
        return False
    text = line.text
    signals = (
        bool(_PAGE_COUNTER.search(text)),
        bool(_TIME.search(text)),
        bool(_LONG_NUMBER.search(text)),
    )
    return sum(signals) >= 2


def visual_rows(page: Page) -> list[TextLine]:
    """Regroup the page's content words into rows by their position alone.

    Tesseract splits a page into blocks, so a label and the value printed
    beside it in another column can land on separate "lines" in reading
    order. Here a word joins a row when its vertical middle is within half
    a word height of the row's, whatever its block.
    """
    words = sorted(
        content_words(page), key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0])
    )
    rows: list[list[Word]] = []
    for word in words:
        middle = (word.bbox[1] + word.bbox[3]) / 2
        height = word.bbox[3] - word.bbox[1]
        if rows:
            last = rows[-1]
            row_middle = sum((w.bbox[1] + w.bbox[3]) / 2 for w in last) / len(last)
            if abs(middle - row_middle) <= 0.5 * max(height, 1):
                last.append(word)
                continue
        rows.append([word])
    return [TextLine(tuple(sorted(row, key=lambda w: w.bbox[0]))) for row in rows]


def content_lines(page: Page) -> list[TextLine]:
    """Return the page's lines without the fax header line."""
    height = page.image.height
    return [line for line in page_lines(page) if not is_fax_header(line, height)]


def content_text(page: Page) -> str:
    """Return the page's text without the fax header, one line per line."""
    return "\n".join(line.text for line in content_lines(page))


def content_words(page: Page) -> list[Word]:
    """Return the page's words without those of the fax header."""
    return [word for line in content_lines(page) for word in line.words]


class PageText:
    """A page's content lines joined into one text, with offsets back to words.

    Phrase finders work on text; this maps a character span they return to
    the OCR words (and so the page boxes) it covers.
    """

    def __init__(self, lines: list[TextLine]) -> None:
        self.lines = lines
        self.text = "\n".join(line.text for line in lines)
        self._spans: list[tuple[int, int, Word]] = []
        offset = 0
        for line in lines:
            for word in line.words:
                self._spans.append((offset, offset + len(word.text), word))
                offset += len(word.text) + 1

    @classmethod
    def of(cls, page: Page) -> PageText:
        """Build the text of ``page`` without its fax header."""
        return cls(content_lines(page))

    def words_in_span(self, start: int, end: int) -> list[Word]:
        """Return the words that overlap characters ``start`` to ``end``."""
        return [word for s, e, word in self._spans if s < end and start < e]
