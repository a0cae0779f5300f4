"""Shared data types passed between the pipeline stages.

Coordinates are pixels of the normalized page image (origin top left, x to
the right, y down) unless a name says otherwise. A page image always has
square pixels: the loader stretches fax pages at 204x98 dpi to 204x196.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

BBox = tuple[int, int, int, int]
"""A box as (left, top, right, bottom) in page pixels."""

DOC_TYPES = (
    "release_images",
    "third_party_release",
    "physician_request",
    "fax_cover",
    "other",
)

FIELD_NAMES = (
    "patient_name",
    "date_of_birth",
    "mrn",
    "exam_date",
    "exam_description",
    "release_to_name",
    "release_to_address",
    "physician_name",
    "physician_fax",
)

CHECK_NAMES = (
    "signed",
    "signature_date",
    "xray_scan_reports_checked",
    "release_to",
    "hipaa_information",
    "hipaa_releaser",
    "hipaa_purpose",
    "hipaa_expiry",
    "representative_authority",
)
"""Checks on the authorization forms. ``Check.passed`` True is the good
outcome; ``signature_date`` and ``hipaa_expiry`` carry the ISO date they
read in ``Check.value``."""

STATUSES = ("accepted", "needs_review", "rejected", "quarantined")


@dataclass(frozen=True)
class Word:
    """One OCR word with its tesseract confidence (0-100) and box."""

    text: str
    conf: float
    bbox: BBox
    line: tuple[int, int, int] = (0, 0, 0)
    """Tesseract's (block, paragraph, line) numbers, for grouping into lines."""


@dataclass
class Page:
    """One page of a source file, loaded, normalized and read."""

    source: Path
    number: int
    """1-based page number within the source file."""
    image: Image.Image
    """Grayscale ("L") image with square pixels."""
    dpi: int
    words: list[Word] = field(default_factory=list)
    has_text_layer: bool = False
    """True when the words came from the PDF's text layer, not from OCR."""
    rotation: int = 0
    """Clockwise degrees the page was turned to make it upright."""
    skew: float = 0.0
    """Degrees of skew removed by deskewing."""
    orientation_uncertain: bool = False
    """True when another turn read better than the one kept, but not clearly."""
    ocr_confidence: float = 0.0
    """Mean word confidence (0-100) of the final reading."""
    language: str = "en"

    @property
    def text(self) -> str:
        """Return the page text, one line of words per text line."""
        lines: list[str] = []
        current: tuple[int, int, int] | None = None
        for word in self.words:
            if word.line != current:
                lines.append("")
                current = word.line
            lines[-1] = f"{lines[-1]} {word.text}".strip()
        return "\n".join(lines)


@dataclass
class FieldValue:
    """An extracted field with where it came from."""

    value: str | None
    confidence: float
    """0.0-1.0: how sure the extractor is of the value."""
    page: int | None = None
    bbox: BBox | None = None
    reader: str = "tesseract"


@dataclass
class Check:
    """The outcome of one check on a document, with its evidence region."""

    name: str
    passed: bool | None
    """None when the check could not decide."""
    confidence: float
    page: int | None = None
    bbox: BBox | None = None
    value: str | None = None
    """The value the check read, such as an ISO date; None for checks that read none."""
    detail: str = ""


@dataclass
class Document:
    """A document found in a source file, and everything learned about it."""

    source: Path
    pages: list[Page]
    doc_type: str = "other"
    language: str = "en"
    confidence: float = 0.0
    fields: dict[str, FieldValue] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    status: str = "needs_review"
    reasons: list[str] = field(default_factory=list)
    match: dict[str, Any] = field(
        default_factory=lambda: {"request_id": None, "score": None, "band": None}
    )
    doc_id: str = ""

    @property
    def page_numbers(self) -> list[int]:
        return [page.number for page in self.pages]

    @property
    def text(self) -> str:
        return "\n\f\n".join(page.text for page in self.pages)
