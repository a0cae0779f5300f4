"""Run source files through every stage and store what comes out.

Stages, in order: read (load, normalize, OCR: ``ocr.reader``), split and
classify (``classifiers.split``), extract (``classifiers.extract``), check
(``classifiers.checks``), decide (``intake.decide``), store.

``analyse_file`` does the work and touches no database, so it can run in a
worker process; ``record_result`` stores its result in the parent. A file
that cannot be read is quarantined with its reason. An unexpected exception
in any stage quarantines the file too (reason ``internal_error``), so one
bad file never stops a run and no file is silently dropped.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from classifiers.checks import check_document
from classifiers.extract import detect_routing, extract_fields
from classifiers.same_file import reconcile_patient_names, share_legal_request
from classifiers.split import split_documents
from intake import store
from intake.decide import decide
from intake.errors import IntakeError
from intake.output import document_record, quarantined_record
from intake.quarantine import quarantine_file
from intake.reasons import Reason
from intake.settings import Settings
from intake.types import Document, Page
from matchers.match import (
    facts_from_document,
    finish_file,
    match_document,
    match_output,
    match_stored_document,
    thresholds_from,
)
from matchers.models import DocumentMatch
from matchers.score import Thresholds
from ocr.reader import read_file

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """Settings, database and processing day shared by every file in a run."""

    settings: Settings
    engine: Engine | Connection
    """The database. The watcher passes a connection inside its transaction,
    so a file's documents and its queue row are committed together."""
    today: date
    move_quarantined: bool = False


@dataclass
class FileResult:
    """The outcome of analysing one file: its documents, or the reason for none."""

    path: Path
    sha256: str = ""
    size: int = 0
    documents: list[Document] = field(default_factory=list)
    reason: Reason | None = None
    message: str = ""

    @property
    def file_id(self) -> str:
        """A short id for logs: the content hash prefix, never the name."""
        return self.sha256[:12] or "unreadable"


def process_file(path: Path, context: RunContext) -> list[dict[str, Any]]:
    """Analyse one file, store the result and return its output records."""
    return record_result(analyse_file(path, context.settings, context.today), context)


def analyse_file(path: Path, settings: Settings, today: date) -> FileResult:
    """Run every stage on ``path``.

    A file that cannot be read, and any exception raised by a stage, end
    up in the result's ``reason`` and ``message`` instead of propagating.
    """
    result = FileResult(path=path)
    try:
        data = path.read_bytes()
    except OSError as error:
        log.error("input file cannot be read: %s", error.strerror)
        result.reason = Reason.FILE_CORRUPT
        result.message = (
            f"{path}: cannot be read ({error.strerror}). Check that the file "
            f"exists and that the intake user may read it."
        )
        return result

    result.sha256 = hashlib.sha256(data).hexdigest()
    result.size = len(data)
    try:
        result.documents = analyse_pages(path, settings, today)
    except IntakeError as error:
        result.reason = error.reason
        result.message = str(error)
    except Exception:
        log.exception("internal error on file %s", result.file_id)
        result.reason = Reason.INTERNAL_ERROR
        result.message = (
            f"{path}: the intake code failed on this file. This is a bug; "
            f"report it with the file id {result.file_id} from the log."
        )
    return result


def analyse_pages(path: Path, settings: Settings, today: date) -> list[Document]:
    """Read, split, classify, extract, check and decide; store nothing."""
    return analyse_documents(read_file(path, settings), today)


def analyse_documents(pages: list[Page], today: date) -> list[Document]:
    """Split a file's read pages into documents and run every later stage."""
    documents = split_documents(pages)
    for document in documents:
        document.doc_id = uuid.uuid4().hex[:16]
        document.fields = extract_fields(document)
    reconcile_patient_names(documents)
    for document in documents:
        document.reasons = [str(reason) for reason in detect_routing(document)]
    share_legal_request(documents)
    for document in documents:
        document.checks = check_document(document, today)
        document.status, document.reasons = decide(document, today)
    return documents


def record_result(
    result: FileResult, context: RunContext, *, likely_duplicate_of: int | None = None
) -> list[dict[str, Any]]:
    """Store ``result`` (quarantining a failed file) and return its records.

    Args:
        result: The outcome of ``analyse_file``.
        context: The run's settings, database and day.
        likely_duplicate_of: The watched inbox's queue id of an earlier file
            that this file looks like a re-scan of. Each document then gets
            the reason ``likely_duplicate``, an accepted one goes to
            ``needs_review``, and none is attached to a request without a
            person.
    """
    source = str(result.path)
    if result.reason is not None:
        return [_quarantine(result, context)]

    page_count = sum(len(d.pages) for d in result.documents)
    row = store.save_source(
        context.engine,
        store.SourceFile(
            path=source, sha256=result.sha256, size=result.size, page_count=page_count
        ),
    )
    assert row.id is not None
    records = []
    thresholds = thresholds_from(context.settings)
    file_thresholds = thresholds
    if likely_duplicate_of is not None:
        # No score reaches an infinite automatic score, so no step here
        # attaches a re-scan. Later matching (new requests, a closed or
        # rejected candidate) keeps it in review by its likely_duplicate reason.
        file_thresholds = replace(thresholds, auto_score=math.inf)
    for document in result.documents:
        store.save_document(context.engine, row.id, document)
        if likely_duplicate_of is None:
            document.match = match_stored_document(
                context.engine, document, row.id, context.today, thresholds
            )
        else:
            _flag_likely_duplicate(context.engine, document, likely_duplicate_of)
            document.match = _match_without_attaching(
                context, document, row.id, file_thresholds
            )
    finish_file(
        context.engine, row.id, result.documents, context.today, file_thresholds
    )
    if likely_duplicate_of is not None:
        _note_rescan_matches(
            context.engine, result.documents, likely_duplicate_of, thresholds
        )
    for document in result.documents:
        log.info(
            "document %s file=%s pages=%s type=%s status=%s reasons=%s match=%s",
            document.doc_id,
            result.file_id,
            document.page_numbers,
            document.doc_type,
            document.status,
            ",".join(document.reasons),
            document.match["band"],
        )
        records.append(document_record(document, source))
    return records


def _flag_likely_duplicate(
    engine: Engine | Connection, document: Document, earlier_file_id: int
) -> None:
    """Add ``likely_duplicate`` to a stored document and send an accepted one
    to review, recording the change in its status history."""
    if Reason.LIKELY_DUPLICATE not in document.reasons:
        document.reasons.append(str(Reason.LIKELY_DUPLICATE))
    if document.status == "accepted":
        document.status = "needs_review"
    store.change_status(
        engine,
        document,
        detail=f"likely re-scan of inbox file {earlier_file_id}",
    )
    log.info(
        "document %s flagged as a likely re-scan of inbox file %d",
        document.doc_id,
        earlier_file_id,
    )


def _match_without_attaching(
    context: RunContext, document: Document, source_id: int, thresholds: Thresholds
) -> dict[str, Any]:
    """Rank a re-scan's requests for a reviewer, under thresholds that reach
    no automatic band.

    ``match_stored_document`` is not used because it turns a letter that
    matches no open request into a new request, and a re-scanned letter
    would then make a second request.
    """
    facts = facts_from_document(document, source_id)
    with Session(context.engine) as session:
        decision = match_document(session, facts, context.today, thresholds)
        session.commit()
    return match_output(decision)


def _note_rescan_matches(
    engine: Engine | Connection,
    documents: list[Document],
    earlier_file_id: int,
    thresholds: Thresholds,
) -> None:
    """Name the re-scan in the match note of documents held back from ``auto``.

    With the automatic score raised to infinity, the matcher notes "best
    score under the automatic score" even for a score at or above the real
    one in ``thresholds``, which would mislead the reviewer.
    """
    with Session(engine) as session:
        for document in documents:
            match = session.get(DocumentMatch, document.doc_id)
            if match is None or match.score is None:
                continue
            if match.band != "review" or match.score < thresholds.auto_score:
                continue
            match.note = (
                f"likely re-scan of inbox file {earlier_file_id}, so not "
                f"attached without a person"
            )
            session.add(match)
        session.commit()


def _quarantine(result: FileResult, context: RunContext) -> dict[str, Any]:
    assert result.reason is not None
    target: Path | None = None
    if result.sha256:
        target = quarantine_file(
            result.path,
            result.sha256,
            result.reason,
            result.message,
            context.settings.quarantine_dir,
            move=context.move_quarantined,
        )
    store.save_source(
        context.engine,
        store.SourceFile(
            path=str(result.path),
            sha256=result.sha256,
            size=result.size,
            status="quarantined",
            reason=str(result.reason),
            message=result.message,
            quarantine_path=None if target is None else str(target),
        ),
    )
    log.warning("file %s quarantined: %s", result.file_id, result.reason)
    return quarantined_record(str(result.path), result.reason, result.message)
