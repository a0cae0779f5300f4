"""The durable queue of the watched inbox, kept in the intake database.

Each file that arrives in the inbox gets one ``InboxFile`` row, which moves
through these states::

    waiting -> claimed -> done | quarantined       (processed by a worker)
    waiting -> claimed -> duplicate                (same bytes seen before)
    waiting -> claimed -> missing                  (removed before it was read)

A finished row names the file's final place (``target_path``: in the archive,
or in the quarantine folder) and gets ``moved_at`` once the file is there.
The watcher stores a file's documents and marks its row finished in one
transaction, then moves the file, so a process killed at any point leaves a
state that the next start completes without losing the file or storing it
twice:

- killed while a file is claimed (during OCR, or before the store commits):
  the row is still ``claimed``. ``recover_claims`` makes it ``waiting``
  again and the file is processed from the start. Its attempt still counts,
  so a file that kills the watcher each time is quarantined in the end.
- killed after the commit, before or during the move: the row is finished
  with ``moved_at`` empty. ``pending_moves`` lists it and ``move_file``
  completes the move whatever part of it had happened.

Only one watcher may use a database at a time, and ``acquire_lease`` enforces
that with a lease row that the running watcher renews.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from PIL import Image
from rapidfuzz import fuzz
from sqlalchemy import Connection, Engine, event, func
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from intake.store import (
    DocumentRecord,
    FieldRecord,
    SourceFile,
    add_missing_columns,
    utcnow,
)
from intake.types import Document, Page

log = logging.getLogger(__name__)

WAITING = "waiting"
CLAIMED = "claimed"
DONE = "done"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"
MISSING = "missing"
FINISHED_STATES = (DONE, DUPLICATE, QUARANTINED)

LEASE_SECONDS = 60.0
"""Seconds after its last renewal that another host's lease counts as
abandoned. A lease of this host is abandoned as soon as its process is gone."""

SQLITE_BUSY_SECONDS = 30.0
"""Seconds a SQLite connection waits for another writer's lock."""

HASH_CHUNK_BYTES = 1 << 20

IMAGE_HASH_BITS = 10
"""Bits two page image hashes (of 64) may differ by on a re-scan."""
TEXT_HASH_BITS = 5
"""Bits two page text hashes (of 64) may differ by on a re-scan."""
MIN_WORD_CONFIDENCE = 60.0
"""Tesseract confidence (0-100) a word needs to enter the text hash."""
MIN_FINGERPRINT_WORDS = 20
"""Confident words a file needs before it is compared, so blank or
unreadable pages are never called re-scans of each other."""
PATIENT_FIELDS = ("patient_name", "date_of_birth", "mrn")
FIELD_MATCH_SCORE = 85.0
"""rapidfuzz ratio (0-100) at which two readings of a field count as the
same value. The limit is an estimate, not measured on real re-scans."""


class InboxFile(SQLModel, table=True):
    """One arrival of a file in the watched inbox and its place in the queue."""

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    """Path relative to the inbox, with ``/`` separators."""
    channel: str = ""
    """Subfolder of the inbox the file arrived in, or empty for the inbox itself."""
    sha256: str = Field(index=True)
    size: int
    mtime_ns: int
    state: str = Field(default=WAITING, index=True)
    attempts: int = 0
    """Times a worker was given the file."""
    claimed_by: str | None = None
    queued_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    source_file_id: int | None = Field(default=None, foreign_key="sourcefile.id")
    duplicate_of: int | None = Field(default=None, foreign_key="inboxfile.id")
    """The earlier file with the same bytes, for state ``duplicate``."""
    likely_duplicate_of: int | None = Field(default=None, foreign_key="inboxfile.id")
    """An earlier file that looks like the same paper scanned again."""
    reason: str | None = None
    """Reason code of a quarantined file."""
    target_path: str | None = None
    """Destination of the finished file, in the archive or the quarantine folder."""
    moved_at: datetime | None = None


class PageFingerprint(SQLModel, table=True):
    """Hashes of one processed page, for finding re-scans of the same paper."""

    id: int | None = Field(default=None, primary_key=True)
    inbox_file_id: int = Field(foreign_key="inboxfile.id", index=True)
    number: int
    image_hash: str
    """64-bit difference hash of the page image, as 16 hex digits."""
    text_hash: str
    """64-bit SimHash of the page's confident OCR words, as 16 hex digits."""
    word_count: int = 0
    """Distinct confident words the text hash was made from."""


class WatcherLease(SQLModel, table=True):
    """The one running watcher of this database, renewed while it runs."""

    id: int = Field(default=1, primary_key=True)
    owner: str
    host: str
    pid: int
    inbox: str
    started_at: datetime = Field(default_factory=utcnow)
    renewed_at: datetime = Field(default_factory=utcnow)


class WatcherRunningError(Exception):
    """Another live watcher holds the lease on this database."""


@dataclass(frozen=True)
class Owner:
    """The identity of one watcher process, written into claims and the lease."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> Owner:
        """Return the owner for this process, with a fresh random token."""
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


def open_queue(url: str) -> Engine:
    """Create the engine for ``url`` and every table that is missing.

    SQLite databases get a write-ahead log, so ``intake status`` can read
    while the watcher writes, and ``synchronous=FULL``, so a committed
    "done" survives a power cut before the file is moved.
    """
    connect_args: dict[str, object] = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = SQLITE_BUSY_SECONDS
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
    engine = create_engine(url, connect_args=connect_args)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _configure_sqlite)
    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine)
    return engine


def _configure_sqlite(connection: object, _record: object) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


# Lease -------------------------------------------------------------------


def acquire_lease(engine: Engine, owner: Owner, inbox: Path) -> None:
    """Take the watcher lease, or raise if another watcher still holds it.

    Raises:
        WatcherRunningError: A watcher on another host renewed the lease
            within ``LEASE_SECONDS``, or one on this host is still running.
    """
    with Session(engine) as session:
        lease = session.get(WatcherLease, 1)
        if lease is not None and _is_live(lease):
            raise WatcherRunningError(
                f"another watcher (pid {lease.pid} on {lease.host}, inbox "
                f"{lease.inbox}) is using this database. Stop it first, or "
                f"point INTAKE_DATABASE_URL at another database"
            )
        if lease is None:
            lease = WatcherLease(
                owner=str(owner), host=owner.host, pid=owner.pid, inbox=""
            )
        lease.owner = str(owner)
        lease.host = owner.host
        lease.pid = owner.pid
        lease.inbox = str(inbox)
        lease.started_at = lease.renewed_at = utcnow()
        session.add(lease)
        session.commit()


def _is_live(lease: WatcherLease) -> bool:
    if lease.host == socket.gethostname():
        return _process_exists(lease.pid) and lease.pid != os.getpid()
    return utcnow() - lease.renewed_at < timedelta(seconds=LEASE_SECONDS)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def renew_lease(engine: Engine, owner: Owner) -> bool:
    """Renew the lease, or return False when another watcher has taken it."""
    with Session(engine) as session:
        lease = session.get(WatcherLease, 1)
        if lease is None or lease.owner != str(owner):
            return False
        lease.renewed_at = utcnow()
        session.add(lease)
        session.commit()
    return True


def release_lease(engine: Engine, owner: Owner) -> None:
    """Give up the lease if this owner still holds it."""
    with Session(engine) as session:
        lease = session.get(WatcherLease, 1)
        if lease is not None and lease.owner == str(owner):
            session.delete(lease)
            session.commit()


def read_lease(engine: Engine) -> WatcherLease | None:
    """Return the current lease, live or not, or None when there is none."""
    with Session(engine, expire_on_commit=False) as session:
        return session.get(WatcherLease, 1)


# Arrivals and claims -----------------------------------------------------


def record_arrival(
    engine: Engine, relative: PurePosixPath, sha256: str, size: int, mtime_ns: int
) -> tuple[InboxFile, bool]:
    """Queue a ready file and return its row and whether the row is new.

    A path has at most one row that is not yet moved. When that row is still
    waiting and the content changed, the row takes the new content. When it
    is finished but the file was replaced before it could be moved, the old
    row is closed (its documents stay stored) and the new content gets a row.
    """
    with Session(engine, expire_on_commit=False) as session:
        row = _open_row(session, str(relative))
        if row is not None and row.state in FINISHED_STATES and row.sha256 != sha256:
            log.error(
                "file %s was replaced in the inbox before it was moved. Its "
                "stored documents are kept and the new content is queued",
                row.id,
            )
            row.moved_at = utcnow()
            row.target_path = None
            session.add(row)
            row = None
        created = row is None
        if row is None:
            row = InboxFile(
                path=str(relative),
                channel=str(relative.parent) if relative.parent.parts else "",
                sha256=sha256,
                size=size,
                mtime_ns=mtime_ns,
            )
        elif row.state == WAITING:
            row.sha256, row.size, row.mtime_ns = sha256, size, mtime_ns
        session.add(row)
        session.commit()
        session.refresh(row)
        return row, created


def _open_row(session: Session, path: str) -> InboxFile | None:
    statement = (
        select(InboxFile)
        .where(InboxFile.path == path)
        .where(col(InboxFile.moved_at).is_(None))
        .where(InboxFile.state != MISSING)
        .order_by(col(InboxFile.id).desc())
    )
    return session.exec(statement).first()


def claim_next(
    engine: Engine, owner: Owner, skip: Collection[int] = ()
) -> InboxFile | None:
    """Claim the oldest waiting file and count the attempt, or return None.

    A file whose bytes equal those of a claimed file waits until that one is
    finished, so it can be recognized as its duplicate. Ids in ``skip`` are
    not claimed.
    """
    with Session(engine, expire_on_commit=False) as session:
        busy = select(InboxFile.sha256).where(InboxFile.state == CLAIMED)
        statement = (
            select(InboxFile)
            .where(InboxFile.state == WAITING)
            .where(col(InboxFile.sha256).not_in(busy))
            .where(col(InboxFile.id).not_in(list(skip)))
            .order_by(col(InboxFile.id))
        )
        row = session.exec(statement).first()
        if row is None:
            return None
        row.state = CLAIMED
        row.attempts += 1
        row.claimed_by = str(owner)
        row.claimed_at = utcnow()
        session.add(row)
        session.commit()
        return row


def release(engine: Engine, entry_id: int, owner: Owner, *, refund: bool) -> None:
    """Put a file claimed by ``owner`` back to waiting.

    Args:
        engine: The queue database.
        entry_id: The ``InboxFile`` id.
        owner: The watcher that claimed it. Another owner's claim is kept.
        refund: True when the attempt should not count against the file
            (the watcher stopped, or the file changed while it was read).
    """
    with Session(engine) as session:
        row = session.get(InboxFile, entry_id)
        if row is None or row.state != CLAIMED or row.claimed_by != str(owner):
            return
        row.state = WAITING
        row.claimed_by = None
        if refund:
            row.attempts = max(0, row.attempts - 1)
        session.add(row)
        session.commit()


def recover_claims(engine: Engine) -> list[int]:
    """Release every claimed file. Call it only while holding the lease.

    Claims left in the database by a previous watcher that was killed are
    the only ones that can exist at start. Their attempts keep counting.
    """
    with Session(engine) as session:
        rows = session.exec(select(InboxFile).where(InboxFile.state == CLAIMED)).all()
        for row in rows:
            row.state = WAITING
            row.claimed_by = None
            session.add(row)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def find_original(engine: Engine, entry: InboxFile) -> InboxFile | None:
    """Return the earliest finished file with the same bytes as ``entry``.

    Empty files are never duplicates of each other: each one is a failed
    transfer of its own.
    """
    if entry.size == 0:
        return None
    with Session(engine, expire_on_commit=False) as session:
        statement = (
            select(InboxFile)
            .where(InboxFile.sha256 == entry.sha256)
            .where(InboxFile.id != entry.id)
            .where(col(InboxFile.state).in_((DONE, QUARANTINED)))
            .order_by(col(InboxFile.id))
        )
        return session.exec(statement).first()


def list_open(engine: Engine) -> list[InboxFile]:
    """Return the files that are waiting or claimed."""
    with Session(engine, expire_on_commit=False) as session:
        statement = select(InboxFile).where(
            col(InboxFile.state).in_((WAITING, CLAIMED))
        )
        return list(session.exec(statement).all())


# Finishing ---------------------------------------------------------------


def mark_finished(
    connection: Connection,
    entry_id: int,
    state: str,
    target: Path | None,
    *,
    source_file_id: int | None = None,
    duplicate_of: int | None = None,
    likely_duplicate_of: int | None = None,
    reason: str | None = None,
    fingerprints: list[PageFingerprint] | None = None,
) -> None:
    """Mark a claimed file finished inside the caller's transaction.

    The caller commits ``connection`` together with whatever it stored for
    the file, so the documents and the finished state appear together.
    """
    with Session(bind=connection) as session:
        row = session.get(InboxFile, entry_id)
        if row is None:
            raise LookupError(f"inbox file {entry_id} is not in the queue")
        row.state = state
        row.target_path = None if target is None else str(target)
        row.finished_at = utcnow()
        row.source_file_id = source_file_id
        row.duplicate_of = duplicate_of
        row.likely_duplicate_of = likely_duplicate_of
        row.reason = reason
        session.add(row)
        for fingerprint in fingerprints or []:
            values = fingerprint.model_dump(exclude={"id", "inbox_file_id"})
            session.add(PageFingerprint(inbox_file_id=entry_id, **values))
        session.commit()


def mark_missing(engine: Engine, entry_id: int) -> None:
    """Close a file that disappeared from the inbox before it was read."""
    with Session(engine) as session:
        row = session.get(InboxFile, entry_id)
        if row is None:
            return
        row.state = MISSING
        row.finished_at = row.moved_at = utcnow()
        session.add(row)
        session.commit()


def mark_moved(engine: Engine, entry_id: int, *, moved: bool = True) -> None:
    """Record that a finished file reached its target (or cannot anymore).

    A processed file's ``SourceFile`` row gets the archive path too, so the
    paper can be found from its documents.
    """
    with Session(engine) as session:
        row = session.get(InboxFile, entry_id)
        if row is None:
            return
        row.moved_at = utcnow()
        if not moved:
            row.target_path = None
        session.add(row)
        source = None
        if row.source_file_id is not None and row.state == DONE:
            source = session.get(SourceFile, row.source_file_id)
        if source is not None:
            source.archive_path = row.target_path
            session.add(source)
        session.commit()


def pending_moves(engine: Engine) -> list[InboxFile]:
    """Return finished files that have not been moved to their target yet."""
    with Session(engine, expire_on_commit=False) as session:
        statement = (
            select(InboxFile)
            .where(col(InboxFile.state).in_(FINISHED_STATES))
            .where(col(InboxFile.moved_at).is_(None))
            .order_by(col(InboxFile.id))
        )
        return list(session.exec(statement).all())


def find_source_file(connection: Connection, sha256: str) -> SourceFile | None:
    """Return the newest ``SourceFile`` row with this hash, in the transaction."""
    with Session(bind=connection, expire_on_commit=False) as session:
        statement = (
            select(SourceFile)
            .where(SourceFile.sha256 == sha256)
            .order_by(col(SourceFile.id).desc())
        )
        return session.exec(statement).first()


def archive_path(archive: Path, entry: InboxFile) -> Path:
    """Return where a processed file is archived: ``DATE/ID-SHA<suffix>``.

    The name carries the queue id and the first 12 hex digits of the content
    hash but not the sender's file name, which may name the patient.
    """
    suffix = PurePosixPath(entry.path).suffix.lower()
    if not suffix[1:].isalnum():
        suffix = ""
    day = entry.queued_at.strftime("%Y-%m-%d")
    return archive / day / f"{entry.id:06d}-{entry.sha256[:12]}{suffix}"


# Moving files --------------------------------------------------------------


def hash_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def move_file(source: Path, target: Path, sha256: str) -> bool:
    """Move ``source`` to ``target`` so that running it again is harmless.

    The target is complete and flushed to disk before the source is removed,
    and a source whose bytes are not ``sha256`` is never removed: that is a
    new file that took the old one's name.

    Returns:
        True when ``target`` contains the content, False when neither path
        contains it any more.

    Raises:
        OSError: The move failed (permissions, a full disk). Retry later.
        FileExistsError: ``target`` exists with other content.
    """
    if target.exists():
        if hash_file(target) != sha256:
            raise FileExistsError(f"{target} exists with other content")
        _flush(target)
        if source.exists() and hash_file(source) == sha256:
            source.unlink()
        return True

    if not source.exists() or hash_file(source) != sha256:
        return False

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:  # the target is on another filesystem
            raise
        _copy_then_remove(source, target)
    _flush(target.parent)
    return True


def _copy_then_remove(source: Path, target: Path) -> None:
    partial = target.with_name(f".partial-{target.name}")
    with source.open("rb") as reader, partial.open("wb") as writer:
        while chunk := reader.read(HASH_CHUNK_BYTES):
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(partial, target)
    _flush(target.parent)
    source.unlink()


def _flush(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Re-scans of the same paper ------------------------------------------------
#
# A byte-identical resend is caught by its hash. A re-scan of the same paper
# has other bytes, so it is processed, and flagged as a likely duplicate of
# an earlier file processed within ``duplicate_days`` when all of these hold:
#
# - both files have the same number of pages, with at least
#   ``MIN_FINGERPRINT_WORDS`` confident words in all,
# - each pair of pages looks alike: their image hashes differ in at most
#   ``IMAGE_HASH_BITS`` bits and their text hashes in at most
#   ``TEXT_HASH_BITS`` bits,
# - no patient field that both files have (name, date of birth, record
#   number) disagrees.
#
# The image hash alone matches any two copies of one printed form, so the
# text hash and the patient fields are what tell two patients' copies of the
# same form apart. The limits are estimates from synthetic pages: a letter
# form with typed patient fields, OCR'd once clean and twice after turning,
# shifting, speckling, blurring and JPEG compression. Copies of one filled
# form differed by 0-4 image bits and 0 text bits. Three patients' copies of
# the form differed by 0-4 image bits and 6-13 text bits. Real re-scans OCR
# less alike than these, so some will be missed. No real pair was measured.


def fingerprint_page(page: Page) -> PageFingerprint:
    """Hash a processed page's image and confident words."""
    words = _fingerprint_words(page)
    return PageFingerprint(
        inbox_file_id=0,
        number=page.number,
        image_hash=f"{_image_hash(page.image):016x}",
        text_hash=f"{_text_hash(words):016x}",
        word_count=len(words),
    )


def _fingerprint_words(page: Page) -> set[str]:
    words = set()
    for word in page.words:
        text = "".join(ch for ch in word.text.casefold() if ch.isalnum())
        if word.conf >= MIN_WORD_CONFIDENCE and len(text) >= 3:
            words.add(text)
    return words


def _image_hash(image: Image.Image) -> int:
    """Return a difference hash of the page cropped to its ink."""
    gray = image.convert("L")
    box = gray.point(lambda value: 255 if value < 128 else 0).getbbox()
    if box is not None:
        gray = gray.crop(box)
    pixels = list(gray.resize((9, 8), Image.Resampling.BOX).getdata())
    bits = 0
    for row in range(8):
        for column in range(8):
            left = pixels[row * 9 + column]
            right = pixels[row * 9 + column + 1]
            bits = (bits << 1) | int(left > right)
    return bits


def _text_hash(words: set[str]) -> int:
    """Return the 64-bit SimHash of a set of words."""
    weights = [0] * 64
    for word in words:
        value = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest())
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def _distance(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()


def find_likely_duplicate(
    engine: Engine,
    fingerprints: list[PageFingerprint],
    fields: dict[str, str],
    days: int,
) -> int | None:
    """Return the id of an earlier file that this one re-scans, if any.

    Args:
        engine: The queue database.
        fingerprints: The new file's pages, from ``fingerprint_page``.
        fields: The new file's patient fields, from ``patient_fields``.
        days: How far back to look. 0 turns the check off.
    """
    if days == 0 or not _has_enough_words(fingerprints):
        return None
    since = utcnow() - timedelta(days=days)
    with Session(engine) as session:
        earlier = _recent_fingerprints(session, since, len(fingerprints))
        for entry_id, (source_id, pages) in earlier.items():
            if not _pages_alike(fingerprints, pages):
                continue
            if _fields_agree(fields, _stored_fields(session, source_id)):
                return entry_id
    return None


def _has_enough_words(pages: list[PageFingerprint]) -> bool:
    return sum(page.word_count for page in pages) >= MIN_FINGERPRINT_WORDS


def _recent_fingerprints(
    session: Session, since: datetime, page_count: int
) -> dict[int, tuple[int | None, list[PageFingerprint]]]:
    """Return processed files since ``since`` with their page hashes, newest first."""
    rows = session.exec(
        select(InboxFile.id, InboxFile.source_file_id, PageFingerprint)
        .join(PageFingerprint, PageFingerprint.inbox_file_id == InboxFile.id)
        .where(InboxFile.state == DONE)
        .where(col(InboxFile.finished_at) >= since)
        .order_by(col(InboxFile.id).desc(), PageFingerprint.number)
    ).all()
    files: dict[int, tuple[int | None, list[PageFingerprint]]] = {}
    for entry_id, source_id, fingerprint in rows:
        files.setdefault(entry_id, (source_id, []))[1].append(fingerprint)
    return {
        entry_id: value
        for entry_id, value in files.items()
        if len(value[1]) == page_count and _has_enough_words(value[1])
    }


def _pages_alike(new: list[PageFingerprint], old: list[PageFingerprint]) -> bool:
    for first, second in zip(new, old, strict=True):
        if _distance(first.image_hash, second.image_hash) > IMAGE_HASH_BITS:
            return False
        if _distance(first.text_hash, second.text_hash) > TEXT_HASH_BITS:
            return False
    return True


def patient_fields(documents: list[Document]) -> dict[str, str]:
    """Return the first non-empty value of each patient field in a file."""
    values: dict[str, str] = {}
    for document in documents:
        for name in PATIENT_FIELDS:
            field = document.fields.get(name)
            if field is not None and field.value and name not in values:
                values[name] = field.value
    return values


def _stored_fields(session: Session, source_id: int | None) -> dict[str, str]:
    if source_id is None:
        return {}
    rows = session.exec(
        select(FieldRecord.name, FieldRecord.value)
        .join(DocumentRecord, DocumentRecord.id == FieldRecord.document_id)
        .where(DocumentRecord.source_file_id == source_id)
        .where(col(FieldRecord.name).in_(PATIENT_FIELDS))
        .order_by(DocumentRecord.created_at, FieldRecord.id)
    ).all()
    values: dict[str, str] = {}
    for name, value in rows:
        if value and name not in values:
            values[name] = value
    return values


def _fields_agree(new: dict[str, str], old: dict[str, str]) -> bool:
    for name in new.keys() & old.keys():
        first = " ".join(new[name].casefold().split())
        second = " ".join(old[name].casefold().split())
        if fuzz.ratio(first, second) < FIELD_MATCH_SCORE:
            return False
    return True


# Status ------------------------------------------------------------------


@dataclass(frozen=True)
class QueueStatus:
    """Counts of the inbox queue for ``intake status``."""

    waiting: int
    in_progress: int
    done: int
    duplicates: int
    likely_duplicates: int
    quarantined: int
    missing: int
    not_moved: int
    """Finished files still in the inbox, to be moved on the next start."""
    oldest_waiting: datetime | None
    lease: WatcherLease | None


def read_status(engine: Engine) -> QueueStatus:
    """Count the queue's files by state and find the oldest waiting one."""
    with Session(engine, expire_on_commit=False) as session:
        counts = dict(
            session.exec(
                select(InboxFile.state, func.count()).group_by(InboxFile.state)
            ).all()
        )
        likely = session.exec(
            select(func.count()).where(col(InboxFile.likely_duplicate_of).is_not(None))
        ).one()
        oldest = session.exec(
            select(func.min(InboxFile.queued_at)).where(InboxFile.state == WAITING)
        ).one()
        lease = session.get(WatcherLease, 1)
    return QueueStatus(
        waiting=counts.get(WAITING, 0),
        in_progress=counts.get(CLAIMED, 0),
        done=counts.get(DONE, 0),
        duplicates=counts.get(DUPLICATE, 0),
        likely_duplicates=likely,
        quarantined=counts.get(QUARANTINED, 0),
        missing=counts.get(MISSING, 0),
        not_moved=len(pending_moves(engine)),
        oldest_waiting=oldest,
        lease=lease,
    )
