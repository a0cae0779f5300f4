"""Tests for cutting a file's pages into documents (classifiers.split)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from classifiers.split import split_documents
from intake.settings import Settings
from intake.types import Page
from ocr.reader import read_file
from tests.test_classify import (
    FAX_COVER,
    LETTER,
    RELEASE_FORM,
    SPANISH_FORM,
    THIRD_PARTY_FORM,
    make_text_page,
)

CORPUS = Path(__file__).resolve().parents[1] / "samples" / "corpus"


def read_corpus_file(name: str) -> tuple[list[Page], list[dict[str, Any]]]:
    """OCR one committed sample file with ``ocr.reader`` and load its truth."""
    path = CORPUS / name
    if not path.exists():
        pytest.skip(
            f"{path} is absent: generate the corpus with python -m samples.generate"
        )
    pages = read_file(path, Settings())
    lines = (CORPUS / f"{name}.truth.jsonl").read_text(encoding="utf-8").splitlines()
    return pages, [json.loads(line) for line in lines if line.strip()]


LETTER_PAGE_ONE = LETTER[:8]
LETTER_PAGE_TWO = [
    "Page 2",
    "office for her follow-up visit. Our fax number is listed above.",
    "Thank you for your help.",
    "Sincerely,",
    "Laura Chen, MD",
]


def _pages(*contents: list[str]) -> list[Page]:
    return [make_text_page(lines, number=i + 1) for i, lines in enumerate(contents)]


def _groups(pages: list[Page]) -> list[list[int]]:
    return [document.page_numbers for document in split_documents(pages)]


def test_split_cover_letter_and_forms() -> None:
    pages = _pages(
        FAX_COVER, LETTER_PAGE_ONE, LETTER_PAGE_TWO, RELEASE_FORM, THIRD_PARTY_FORM
    )
    documents = split_documents(pages)
    assert [d.page_numbers for d in documents] == [[1], [2, 3], [4], [5]]
    assert [d.doc_type for d in documents] == [
        "fax_cover",
        "physician_request",
        "release_images",
        "third_party_release",
    ]


def test_split_two_patients_forms() -> None:
    assert _groups(_pages(RELEASE_FORM, RELEASE_FORM)) == [[1], [2]]


def test_split_blank_page_stands_alone() -> None:
    documents = split_documents(_pages(LETTER, [], RELEASE_FORM))
    assert [d.page_numbers for d in documents] == [[1], [2], [3]]
    assert documents[1].doc_type == "other"


def test_split_letter_continues_without_page_marker() -> None:
    second = [line for line in LETTER_PAGE_TWO if line != "Page 2"]
    assert _groups(_pages(LETTER_PAGE_ONE, second)) == [[1, 2]]


def test_split_every_page_in_exactly_one_document() -> None:
    pages = _pages(FAX_COVER, [], LETTER, LETTER_PAGE_TWO, [], THIRD_PARTY_FORM)
    numbers = [n for group in _groups(pages) for n in group]
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_split_sets_language_and_confidence() -> None:
    pages = [make_text_page(SPANISH_FORM, language="es")]
    (document,) = split_documents(pages)
    assert document.language == "es"
    assert document.doc_type == "release_images"
    assert 0.0 < document.confidence <= 1.0


def test_split_no_pages() -> None:
    assert split_documents([]) == []


@pytest.mark.parametrize("name", ["fax-0042.tif", "efax-0010.pdf"])
def test_split_corpus_file_matches_truth(name: str) -> None:
    pages, truth = read_corpus_file(name)
    documents = split_documents(pages)
    assert [d.page_numbers for d in documents] == [t["pages"] for t in truth]
    assert [d.doc_type for d in documents] == [t["doc_type"] for t in truth]
    assert [d.language for d in documents] == [t["language"] for t in truth]


def test_split_numbered_pages_stay_together() -> None:
    first = [*RELEASE_FORM, "Page 1 of 2"]
    second = [*RELEASE_FORM, "Page 2 of 2"]
    assert _groups(_pages(first, second)) == [[1, 2]]


def test_split_numbering_must_follow_on() -> None:
    first = [*RELEASE_FORM, "Page 1 of 1"]
    second = [*RELEASE_FORM, "Page 1 of 1"]
    assert _groups(_pages(first, second)) == [[1], [2]]
