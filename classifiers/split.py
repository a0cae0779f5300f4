"""Cut one file's pages into documents and classify each document.

A file may contain several documents (a fax cover, a letter, both forms,
or two patients' forms in one scan), and one document may run over
several pages (a letter continued on page 2). Each page is classified on
its own and searched for *start* cues: a registered form layout that fits
it, a form or cover-sheet title near the top, a letter's salutation, a
letterhead or a large heading at the top. A page starts a new document
when it has such a cue, or when it is confidently of another type than
the document before it. Otherwise it continues that document. An
explicit "Page 2" or "continued" keeps a page with the one before unless
a title or a fitted layout marks a new document. A blank page belongs to no neighbour:
it becomes a one-page document of type "other".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from statistics import median

from classifiers import page_cache
from classifiers.classify import (
    Classification,
    classify_page,
    classify_text,
    concept_finder,
    page_text,
)
from classifiers.dates import fold_text
from classifiers.layout_fit import LayoutFit, fit_best_layout
from classifiers.lines import FAX_HEADER_BAND, TextLine, content_lines
from intake.types import Document, Page

log = logging.getLogger(__name__)

TITLE_CONCEPTS = ("release_images_title", "third_party_title", "fax_title")
TITLE_BAND = 0.4
"""A title counts as a start cue when it sits in this top share of a page."""
SALUTATION_BAND = 0.6
LETTERHEAD_BAND = 0.22
HEADING_RATIO = 1.6
"""A top line this many times taller than the body text is a heading."""
CONTINUE_MIN_CONFIDENCE = 0.6
"""A page of another type below this confidence still continues a document."""
FIT_CONFIDENCE = 0.99
"""Type confidence when a registered layout fits the page."""
MIN_WORDS_FOR_FIT = 25
FILE_PAGES_KEY = "file_pages"
"""Page-cache key under which each page keeps the list of its file's pages."""

_CONTINUATION = re.compile(
    r"\b(?:page|pagina|pag\.?)\s*([2-9]|\d{2})\b(?:\s*(?:of|de)\s*\d+)?|"
    r"\bcontinued\b|\(cont(?:\.|inued)?\)|\bcontinuacion\b",
    re.IGNORECASE,
)
_PAGE_OF = re.compile(
    r"\b(?:page|pagina|pag\.?|p\.)\s*(\d{1,2})\s*(?:of|de|/)\s*(\d{1,2})\b",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}")


@dataclass
class PageEvidence:
    """The cues on one page that show whether a document begins there."""

    page: Page
    classification: Classification
    fit: LayoutFit | None
    strong_start: bool
    """A layout fit, a title near the top or a salutation."""
    soft_start: bool
    """A letterhead or a large heading at the top."""
    continues: bool
    page_of: tuple[int, int] | None = None
    """The document's own page numbering ("Page 2 of 3") printed on the page."""
    """An explicit "Page 2" or "continued"."""


def split_documents(pages: list[Page]) -> list[Document]:
    """Cut a file's pages into documents and classify each one.

    Args:
        pages: The file's pages in order, as ``ocr.reader.read_file`` returns.

    Returns:
        Documents in page order, each with ``doc_type``, ``confidence`` and
        ``language`` set. Every page belongs to exactly one document.
    """
    groups: list[list[PageEvidence]] = []
    for page in pages:
        # Later stages compare a document with the rest of its file.
        page_cache.cached(page, FILE_PAGES_KEY, lambda _: pages)
        evidence = gather_evidence(page)
        if _starts_new_document(evidence, groups):
            groups.append([evidence])
        else:
            groups[-1].append(evidence)
    documents = [_make_document(group) for group in groups]
    log.info("split %d pages into %d documents", len(pages), len(documents))
    return documents


def gather_evidence(page: Page) -> PageEvidence:
    """Classify a page and find its start and continuation cues."""
    classification = classify_page(page)
    if classification.blank:
        return PageEvidence(page, classification, None, False, False, False)
    fit = page_fit(page)
    if fit is not None:
        classification = Classification(
            fit.layout.doc_type,
            FIT_CONFIDENCE,
            fit.layout.language,
            classification.scores,
            classification.concepts,
            form_id=fit.layout.form_id,
        )
    lines = content_lines(page)
    strong = fit is not None or _has_top_concept(page, lines)
    soft = _has_letterhead(page, lines) or _has_heading(page, lines)
    return PageEvidence(
        page,
        classification,
        fit,
        strong,
        soft,
        _continues(page, lines),
        _page_of(page, lines),
    )


def page_fit(page: Page) -> LayoutFit | None:
    """Return the registered layout that fits ``page``, computed once per page."""

    def compute(page: Page) -> LayoutFit | None:
        if len(page.words) < MIN_WORDS_FOR_FIT:
            return None
        return fit_best_layout(page)

    return page_cache.cached(page, "layout_fit", compute)


def _starts_new_document(
    evidence: PageEvidence, groups: list[list[PageEvidence]]
) -> bool:
    if not groups:
        return True
    previous = groups[-1]
    if evidence.classification.blank or previous[0].classification.blank:
        return True
    if _numbered_next(previous[-1], evidence):
        return False
    if evidence.strong_start:
        return True
    if previous[0].fit is not None:
        # Registered layouts are one page long, so a fitted form has ended.
        return True
    if evidence.continues:
        return False
    if evidence.soft_start:
        return True
    current = previous[0].classification
    page_type = evidence.classification
    if page_type.doc_type == current.doc_type:
        return False
    return page_type.confidence >= CONTINUE_MIN_CONFIDENCE


def _make_document(group: list[PageEvidence]) -> Document:
    pages = [evidence.page for evidence in group]
    classification = classify_group(group)
    return Document(
        source=pages[0].source,
        pages=pages,
        doc_type=classification.doc_type,
        language=classification.language,
        confidence=classification.confidence,
    )


def classify_group(group: list[PageEvidence]) -> Classification:
    """Classify the pages of one document together."""
    first = group[0].classification
    language = _document_language([evidence.page for evidence in group])
    if first.blank:
        return Classification("other", first.confidence, language, blank=True)
    if first.form_id is not None:
        return Classification(
            first.doc_type, first.confidence, first.language, form_id=first.form_id
        )
    text = "\n".join(page_text(evidence.page) for evidence in group)
    return classify_text(text, language)


def _document_language(pages: list[Page]) -> str:
    weights: dict[str, int] = {}
    for page in pages:
        weights[page.language] = weights.get(page.language, 0) + len(page.words)
    return max(weights, key=lambda language: weights[language]) if weights else "en"


def _has_top_concept(page: Page, lines: list[TextLine]) -> bool:
    """Return True for a form or cover title near the top, or a salutation."""
    if not lines:
        return False
    text, starts = _joined(lines)
    height = page.image.height
    for match in concept_finder(page.language).find(text):
        if match.label not in (*TITLE_CONCEPTS, "salutation"):
            continue
        line = lines[_line_index(starts, match.start)]
        band = SALUTATION_BAND if match.label == "salutation" else TITLE_BAND
        if line.bbox[1] <= height * band:
            return True
    return False


def _has_letterhead(page: Page, lines: list[TextLine]) -> bool:
    top = [
        line for line in lines if line.bbox[3] <= page.image.height * LETTERHEAD_BAND
    ]
    return any(_PHONE.search(line.text) for line in top)


def _has_heading(page: Page, lines: list[TextLine]) -> bool:
    if len(lines) < 4:
        return False
    body = median(line.height for line in lines)
    top = [
        line for line in lines if line.bbox[3] <= page.image.height * LETTERHEAD_BAND
    ]
    return any(line.height >= HEADING_RATIO * body for line in top)


def _numbered_next(previous: PageEvidence, evidence: PageEvidence) -> bool:
    """Return True when a page is numbered "k of n" and the one before "k-1 of n".

    A form may repeat its title on every page, so the numbering outweighs
    the title. It never joins a page that a registered (one-page) layout fits.
    """
    if evidence.fit is not None or previous.fit is not None:
        return False
    if evidence.page_of is None or previous.page_of is None:
        return False
    number, total = evidence.page_of
    return 2 <= number <= total and previous.page_of == (number - 1, total)


def _page_of(page: Page, lines: list[TextLine]) -> tuple[int, int] | None:
    """Find the page's own "Page k of n", anywhere below the fax header band.

    Short forms print it right under their last field, far from the page's
    bottom margin. Only a match with the previous page ("k-1 of n") makes
    it join the two, so a stray phrase in body text cannot.
    """
    height = page.image.height
    for line in reversed(lines):
        if line.bbox[1] <= height * FAX_HEADER_BAND:
            continue
        match = _PAGE_OF.search(fold_text(line.text))
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def _continues(page: Page, lines: list[TextLine]) -> bool:
    height = page.image.height
    margins = [
        line
        for line in lines
        if line.bbox[3] <= height * 0.15 or line.bbox[1] >= height * 0.85
    ]
    return any(_CONTINUATION.search(fold_text(line.text)) for line in margins)


def _joined(lines: list[TextLine]) -> tuple[str, list[int]]:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line.text) + 1
    return "\n".join(line.text for line in lines), starts


def _line_index(starts: list[int], offset: int) -> int:
    index = 0
    for number, start in enumerate(starts):
        if start <= offset:
            index = number
    return index
