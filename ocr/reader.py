"""Read a received file: load it, then normalize and OCR its pages in parallel.

Scanned pages are OCR'd in worker processes, one tesseract per process with
OMP_THREAD_LIMIT=1 (set by ``ocr.tesseract``). Pages read from a PDF text
layer skip OCR and only get their language.

Language: every scanned page is read with tesseract's English model first.
A page whose words are mostly Spanish stopwords is read again with the
Spanish model alone. Measured once with tesseract 5.3.0 on the project's
2-core development machine, a synthetic 204 dpi Spanish form page took
0.39 s with "eng" and matched its true text at 0.911 (difflib ratio),
0.49 s at 0.972 with "eng+spa", and 0.37 s at 0.975 with "spa". On the
English ITU-T test chart 1, "eng+spa" took 0.69 s against 0.57 s for
"eng". So re-reading Spanish pages with "spa" gives the best Spanish text,
and it is also faster overall while fewer than about a third of the pages
are Spanish (each English page saves about 0.1 s, each Spanish page costs
about 0.3 s more).

Known limits:

- ``ocr_timeout`` bounds the tesseract calls of a page. The Python steps
  between them (deskew, speckle removal) are not interrupted; they took
  about 0.3 s on a 300 dpi page.
"""

from __future__ import annotations

import logging
import multiprocessing
import statistics
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from intake.errors import IntakeError, OcrError, OcrTimeoutError
from intake.settings import Settings
from intake.types import Page, Word
from ocr.coverage import recover_dropped_text
from ocr.language import ENGLISH, SPANISH, detect_language
from ocr.load import load_pages
from ocr.normalize import normalize_page
from ocr.tesseract import Deadline, read_words

logger = logging.getLogger(__name__)

FULL_PAGE_PSM = 3
"""Tesseract's automatic page layout mode, for whole pages."""
TESSERACT_LANGUAGES = {ENGLISH: "eng", SPANISH: "spa"}


@dataclass(frozen=True)
class _PageFailure:
    """An ``IntakeError`` raised in a worker, in a form that pickles.

    ``IntakeError`` takes (path, detail) but stores only the joined message,
    so the exception itself cannot be rebuilt in the parent process.
    """

    error_type: type[IntakeError]
    path: Path
    detail: str


def read_file(path: Path, settings: Settings) -> list[Page]:
    """Load a file and return its pages upright, deskewed and read.

    Args:
        path: The received file.
        settings: Supplies the load limits, ``ocr_dpi``, ``ocr_timeout``
            (seconds per page) and ``worker_count``.

    Returns:
        The pages in file order, each with words, ``ocr_confidence`` and
        ``language`` ("en" or "es") set.

    Raises:
        IntakeError: A subclass naming the file and the fix, for any file
            that cannot be loaded or read; see ``ocr.load.load_pages``.
            ``OcrTimeoutError`` names the page that ran out of time.
        OSError: The file could not be read at all (missing, or no
            permission).
    """
    started = time.monotonic()
    pages = load_pages(path, settings)
    scanned = [page for page in pages if not page.has_text_layer]
    read = iter(_read_pages(path, scanned, settings))

    results: list[Page] = []
    for page in pages:
        if page.has_text_layer:
            page.language = detect_language(word.text for word in page.words)
            results.append(page)
        else:
            results.append(next(read))

    logger.info(
        "read %d pages (%d by OCR) in %.1f s",
        len(results),
        len(scanned),
        time.monotonic() - started,
    )
    return results


def read_page(page: Page, timeout: float) -> Page:
    """Normalize one scanned page, OCR it and set its language.

    Args:
        page: A loaded page without a text layer.
        timeout: Seconds all tesseract calls for the page may take.

    Returns:
        The normalized page with words, ``ocr_confidence`` and ``language``.

    Raises:
        OcrTimeoutError: The page took longer than ``timeout``.
        OcrError: Tesseract failed.
    """
    deadline = Deadline(timeout)
    try:
        page = normalize_page(
            page, timeout=deadline.remaining(page.source, page.number)
        )
        words = _ocr(page, ENGLISH, deadline)
        language = detect_language(word.text for word in words)
        if language == SPANISH:
            words = _ocr(page, SPANISH, deadline)
        words = recover_dropped_text(
            page.image,
            words,
            page.dpi,
            TESSERACT_LANGUAGES[language],
            deadline,
            source=page.source,
            page_number=page.number,
        )
    except OcrTimeoutError as error:
        raise OcrTimeoutError(
            page.source,
            f"OCR of page {page.number} did not finish within the "
            f"{timeout:g}-second limit",
        ) from error

    page.words = words
    page.language = language
    page.ocr_confidence = _mean_confidence(words)
    return page


def _ocr(page: Page, language: str, deadline: Deadline) -> list[Word]:
    return read_words(
        page.image,
        TESSERACT_LANGUAGES[language],
        FULL_PAGE_PSM,
        deadline.remaining(page.source, page.number),
        source=page.source,
        page_number=page.number,
    )


def _mean_confidence(words: list[Word]) -> float:
    if not words:
        return 0.0
    return round(statistics.fmean(word.conf for word in words), 2)


def _read_pages(path: Path, pages: list[Page], settings: Settings) -> list[Page]:
    workers = min(settings.worker_count, len(pages))
    if workers <= 1:
        return [read_page(page, settings.ocr_timeout) for page in pages]

    # Forking a process that runs other threads (a watchdog observer, for
    # one) can deadlock the child. The fork server has no threads of its own.
    context = multiprocessing.get_context("forkserver")
    # The fork server imports this module once (numpy, OpenCV, Pillow), so
    # each worker forked from it starts in milliseconds. The setting only
    # counts before the server first starts.
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        futures = [
            pool.submit(_read_page_in_worker, page, settings.ocr_timeout)
            for page in pages
        ]
        # Stop at the first failed page: the file is quarantined anyway, and
        # the pages not yet started are cancelled.
        return [_wait_for(path, future) for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _wait_for(path: Path, future: Future[Page | _PageFailure]) -> Page:
    try:
        outcome = future.result()
    except BrokenProcessPool as error:
        raise OcrError(path, "an OCR worker process died") from error
    if isinstance(outcome, _PageFailure):
        raise outcome.error_type(outcome.path, outcome.detail)
    return outcome


def _read_page_in_worker(page: Page, timeout: float) -> Page | _PageFailure:
    try:
        return read_page(page, timeout)
    except IntakeError as error:
        return _PageFailure(type(error), error.path, error.detail)
