"""The watcher's parts: readiness, scanning, mode choice, folders, workers,
re-scan detection and flagging, the archive path and ``intake status``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import Engine
from sqlmodel import Session, select
from watchdog.events import EventsLostEvent, FileDeletedEvent, FileMovedEvent

from intake import cli, queue, store
from intake.errors import ConfigError
from intake.pipeline import FileResult, RunContext, record_result
from intake.queue import InboxFile, PageFingerprint
from intake.settings import Settings
from intake.types import Check, Document, FieldValue, Page
from intake.watch import (
    EventSource,
    Outcome,
    ReadinessTracker,
    Waker,
    Watcher,
    Worker,
    check_folders,
    delivers_events_remotely,
    filesystem_type,
    iter_inbox,
)
from matchers.match import add_requests, thresholds_from
from matchers.models import DocumentMatch, ImageRequest
from matchers.requests import RawRow, check_rows

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HAND = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# Readiness -------------------------------------------------------------------


def test_tracker_ready_after_quiet_time(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4")
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)

    tracker.touch(path, now=0)
    first = tracker.pop_ready(now=0)
    early = tracker.pop_ready(now=4.9)
    ready = tracker.pop_ready(now=5.0)

    assert first == []
    assert early == []
    assert [item[0] for item in ready] == [path]
    assert len(tracker) == 0


def test_tracker_change_restarts_quiet_time(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.write_bytes(b"page one")
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)
    tracker.pop_ready(now=0)

    path.write_bytes(b"page one, page two")
    changed = tracker.pop_ready(now=4)
    still_quiet = tracker.pop_ready(now=8.9)
    ready = tracker.pop_ready(now=9)

    assert changed == []
    assert still_quiet == []
    assert [item[0] for item in ready] == [path]


def test_tracker_same_size_rewrite_restarts(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.write_bytes(b"AAAA")
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)
    tracker.pop_ready(now=0)

    bump_mtime(path)

    assert tracker.pop_ready(now=6) == []
    assert len(tracker.pop_ready(now=11)) == 1


def test_tracker_rename_over_restarts(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"old")
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)
    tracker.pop_ready(now=0)
    replacement = tmp_path / "scan.png.part"
    replacement.write_bytes(b"new")
    stat = path.stat()
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    os.replace(replacement, path)

    assert tracker.pop_ready(now=6) == []
    assert len(tracker.pop_ready(now=11)) == 1


def test_tracker_empty_file_waits_longer(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.touch()
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)
    tracker.pop_ready(now=0)

    assert tracker.pop_ready(now=30) == []
    assert len(tracker.pop_ready(now=60)) == 1


def test_tracker_empty_file_then_content(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.touch()
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)
    tracker.pop_ready(now=0)

    path.write_bytes(b"content")
    tracker.pop_ready(now=30)
    ready = tracker.pop_ready(now=35)

    assert [item[0] for item in ready] == [path]
    assert ready[0][1][1] == len(b"content")


def test_tracker_drops_vanished_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"x")
    tracker = ReadinessTracker(quiet_seconds=5, empty_file_seconds=60)
    tracker.touch(path, now=0)

    path.unlink()

    assert tracker.pop_ready(now=10) == []
    assert len(tracker) == 0


# Scanning --------------------------------------------------------------------


def test_iter_inbox_skips_junk_and_links(tmp_path: Path) -> None:
    names = [
        "scan.pdf",
        "fax/fax000123.tif",
        "fax/fax000124.tif.part",
        "upload.filepart",
        "upload.tmp",
        "~$report.pdf",
        ".DS_Store",
        "._scan.pdf",
        "Thumbs.db",
        "desktop.ini",
        ".hidden/inside.pdf",
        "scanner/floor 2/page.png",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "link.pdf").symlink_to(tmp_path / "scan.pdf")

    found = sorted(str(p.relative_to(tmp_path)) for p in iter_inbox(tmp_path))

    assert found == ["fax/fax000123.tif", "scan.pdf", "scanner/floor 2/page.png"]


def test_filesystem_type_of_proc() -> None:
    assert filesystem_type(Path("/proc/self")) == "proc"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("ext4", True), ("xfs", True), ("tmpfs", True), ("overlay", True),
     ("nfs4", False), ("cifs", False), ("fuse.sshfs", False), ("9p", False)],
)  # fmt: skip
def test_delivers_events_remotely(kind: str, expected: bool) -> None:
    assert delivers_events_remotely(kind) is expected


def test_event_source_poll_mode_starts_nothing(tmp_path: Path) -> None:
    source = EventSource(tmp_path, Waker())

    assert source.start("poll") == "poll"
    assert not source.is_alive()


def test_event_source_auto_probes_and_reports(tmp_path: Path) -> None:
    waker = Waker()
    source = EventSource(tmp_path, waker)
    try:
        mode = source.start("auto")
        (tmp_path / "fax").mkdir()
        (tmp_path / "scan.pdf").write_bytes(b"%PDF")
        deadline = time.monotonic() + 5
        events: list[tuple[str, Path]] = []
        while (
            time.monotonic() < deadline
            and ("file", tmp_path / "scan.pdf") not in events
        ):
            events += source.take()
            time.sleep(0.05)
    finally:
        source.stop()
        waker.close()

    assert mode == "events"
    assert ("file", tmp_path / "scan.pdf") in events
    assert ("scan", tmp_path / "fax") in events
    assert list(tmp_path.glob(".intake-probe-*")) == []


def test_lost_events_request_full_rescan(tmp_path: Path) -> None:
    waker = Waker()
    source = EventSource(tmp_path, waker)

    source.handler.on_any_event(EventsLostEvent(str(tmp_path), is_directory=True))
    events = source.take()
    waker.close()

    assert events == [("rescan", tmp_path)]


def test_handler_reports_rename_destination(tmp_path: Path) -> None:
    waker = Waker()
    source = EventSource(tmp_path, waker)
    old, new = tmp_path / "scan.pdf.part", tmp_path / "scan.pdf"

    source.handler.on_any_event(FileMovedEvent(str(old), str(new)))
    source.handler.on_any_event(FileDeletedEvent(str(new)))
    events = source.take()
    waker.close()

    assert events == [("file", new)]


# Folders and settings ----------------------------------------------------------


def test_check_folders_missing_inbox(tmp_path: Path) -> None:
    settings = Settings(inbox=tmp_path / "absent")

    with pytest.raises(ConfigError, match="INTAKE_INBOX"):
        check_folders(settings)


def test_check_folders_archive_inside_inbox(tmp_path: Path) -> None:
    settings = Settings(inbox=tmp_path, archive_dir=tmp_path / "archive")

    with pytest.raises(ConfigError, match="INTAKE_ARCHIVE_DIR"):
        check_folders(settings)


def test_check_folders_creates_archive(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    settings = Settings(
        inbox=tmp_path / "inbox",
        archive_dir=tmp_path / "archive",
        quarantine_dir=tmp_path / "quarantine",
    )

    check_folders(settings)

    assert (tmp_path / "archive").is_dir()
    assert (tmp_path / "quarantine").is_dir()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INTAKE_POLLING", "inotify"),
        ("INTAKE_QUIET_SECONDS", "0"),
        ("INTAKE_POLL_INTERVAL", "-1"),
        ("INTAKE_MAX_ATTEMPTS", "0"),
        ("INTAKE_FILE_TIMEOUT", "0"),
        ("INTAKE_EMPTY_FILE_SECONDS", "1"),
        ("INTAKE_QUIET_SECONDS", "soon"),
    ],
)
def test_settings_reject_invalid_watch_values(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_settings_read_watch_values() -> None:
    settings = Settings.from_env(
        {
            "INTAKE_INBOX": "/srv/inbox",
            "INTAKE_ARCHIVE_DIR": "/srv/archive",
            "INTAKE_QUIET_SECONDS": "2.5",
            "INTAKE_POLLING": "poll",
            "INTAKE_MAX_ATTEMPTS": "4",
        }
    )

    assert settings.inbox == Path("/srv/inbox")
    assert settings.archive_dir == Path("/srv/archive")
    assert settings.quiet_seconds == 2.5
    assert settings.polling == "poll"
    assert settings.max_attempts == 4


# Workers -----------------------------------------------------------------------


def small_page(path: Path, text: str) -> Path:
    image = Image.new("L", (560, 120), 255)
    ImageDraw.Draw(image).text((16, 30), text, font=ImageFont.truetype(FONT, 30))
    image.save(path, dpi=(200, 200))
    return path


def wait_outcome(worker: Worker, timeout: float = 120) -> Outcome:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outcome = worker.poll()
        if outcome is not None:
            return outcome
        time.sleep(0.05)
    raise AssertionError("the worker gave no outcome")


def test_worker_returns_result_then_survives_kill(tmp_path: Path) -> None:
    page = small_page(tmp_path / "page.png", "Printed words for a worker")
    entry = InboxFile(id=1, path="page.png", sha256="", size=0, mtime_ns=0)
    worker = Worker(1, 30)
    settings = Settings(workers=1)
    try:
        worker.submit(entry, page, settings, timeout=120)
        first = wait_outcome(worker)
        worker.submit(entry, page, settings, timeout=120)
        os.killpg(worker._process.pid, 9)  # as the OOM killer would
        second = wait_outcome(worker)
        worker.submit(entry, page, settings, timeout=120)
        third = wait_outcome(worker)
    finally:
        worker.stop()

    assert first.kind == "result"
    assert first.result.reason is None
    assert len(first.fingerprints) == 1
    assert second.kind == "crashed"
    assert third.kind == "result"


def test_worker_that_cannot_start_blames_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken" / "ocr"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('half-installed')\n")
    # Spawned children get the parent's sys.path, so this shadows ocr/ there.
    monkeypatch.syspath_prepend(str(broken.parent))
    page = small_page(tmp_path / "page.png", "Printed words")
    entry = InboxFile(id=1, path="page.png", sha256="", size=0, mtime_ns=0)
    worker = Worker(1, 30)
    try:
        worker.submit(entry, page, Settings(workers=1), timeout=120)
        outcome = wait_outcome(worker)
    finally:
        worker.stop()

    assert outcome.kind == "start_failed"
    assert worker.start_failures == 1
    assert worker.not_before > time.monotonic()


# Re-scans of the same paper ---------------------------------------------------


def release_form(name: str, birth: str, record: str) -> Image.Image:
    """Draw a filled release form with typed patient fields."""
    image = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(image)
    font, filled = ImageFont.truetype(FONT, 34), ImageFont.truetype(HAND, 40)
    lines = [
        "IMAGE SERVICE CENTER",
        "Authorization to release images",
        "Please complete every section of this form and sign below.",
    ]
    y = 120
    for line in lines:
        draw.text((120, y), line, font=font, fill=0)
        y += 70
    for label, value in (("Patient name:", name), ("Date of birth:", birth),
                         ("Record number:", record)):  # fmt: skip
        draw.text((120, y), label, font=font, fill=0)
        draw.text((520, y - 4), value, font=filled, fill=0)
        y += 90
    for line in [
        "I authorize the center to release copies of my x-ray films and scans",
        "to the person or facility named in this form for continued care.",
        "This authorization expires one year from the date of signature.",
        "Information released: images, reports, compact disc copies.",
    ]:
        draw.text((120, y), line, font=font, fill=0)
        y += 70
    return image


def rescan(image: Image.Image) -> Image.Image:
    """Turn, shift and blur a page the way a second pass through a scanner does."""
    turned = image.rotate(0.8, fillcolor=255, resample=Image.Resampling.BILINEAR)
    shifted = turned.transform(
        turned.size, Image.Transform.AFFINE, (1, 0, 18, 0, 1, -12), fillcolor=255
    )
    return shifted.resize((1190, 1540)).resize((1700, 2200))


def read_fingerprints(path: Path) -> list[PageFingerprint]:
    from ocr.reader import read_file

    return [
        queue.fingerprint_page(page) for page in read_file(path, Settings(workers=1))
    ]


@pytest.fixture
def form_prints(tmp_path: Path) -> dict[str, list[PageFingerprint]]:
    first = release_form("Maria Lopez Garcia", "03/14/1962", "4471203")
    second = release_form("John Albert Smith", "11/02/1955", "3390127")
    images = {"original": first, "rescan": rescan(first), "other": second}
    prints = {}
    for label, image in images.items():
        path = tmp_path / f"{label}.png"
        image.save(path, dpi=(200, 200))
        prints[label] = read_fingerprints(path)
    return prints


def store_done(
    engine: Engine, prints: list[PageFingerprint], fields: dict[str, str]
) -> int:
    from intake import store
    from intake.types import Document, FieldValue

    entry, _ = queue.record_arrival(
        engine, PurePosixPath("original.png"), "0" * 64, 1, 1
    )
    assert entry.id is not None
    source = store.save_source(
        engine, store.SourceFile(path="x", sha256="0" * 64, size=1)
    )
    document = Document(source=Path("x"), pages=[], doc_id="d1")
    document.fields = {name: FieldValue(value, 0.9) for name, value in fields.items()}
    assert source.id is not None
    store.save_document(engine, source.id, document)
    with engine.begin() as connection:
        queue.mark_finished(
            connection,
            entry.id,
            queue.DONE,
            None,
            source_file_id=source.id,
            fingerprints=prints,
        )
    return entry.id


def test_rescan_is_flagged(tmp_path: Path, form_prints) -> None:
    engine = queue.open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    original = store_done(engine, form_prints["original"], {})

    found = queue.find_likely_duplicate(engine, form_prints["rescan"], {}, 30)

    assert found == original


def test_other_patient_same_form_not_flagged(tmp_path: Path, form_prints) -> None:
    engine = queue.open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    store_done(engine, form_prints["original"], {})

    assert queue.find_likely_duplicate(engine, form_prints["other"], {}, 30) is None


def test_rescan_with_other_patient_field_not_flagged(
    tmp_path: Path, form_prints
) -> None:
    engine = queue.open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    store_done(engine, form_prints["original"], {"patient_name": "Maria Lopez"})

    found = queue.find_likely_duplicate(
        engine, form_prints["rescan"], {"patient_name": "Peter Brown"}, 30
    )
    same = queue.find_likely_duplicate(
        engine, form_prints["rescan"], {"patient_name": "MARIA  LOPEZ"}, 30
    )

    assert found is None
    assert same is not None


def test_rescan_check_off_with_zero_days(tmp_path: Path, form_prints) -> None:
    engine = queue.open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    store_done(engine, form_prints["original"], {})

    assert queue.find_likely_duplicate(engine, form_prints["rescan"], {}, 0) is None


# Re-scans through the store step ------------------------------------------------

TODAY = date(2026, 3, 10)
ANA_REQUEST = {
    "request_id": "REQ-ANA", "requester_type": "patient",
    "patient_name": "Ana Lucía Ruiz Soto", "date_of_birth": "1971-04-09",
    "mrn": "00451273", "exam_date": "2026-02-10",
    "exam_description": "CT abdomen and pelvis with contrast",
}  # fmt: skip
SAME_PAGE = PageFingerprint(
    inbox_file_id=0,
    number=1,
    image_hash="f0f0f0f0f0f0f0f0",
    text_hash="123456789abcdef0",
    word_count=40,
)


def ana_form(doc_id: str, status: str = "accepted") -> Document:
    """Build a release form naming the patient of ``ANA_REQUEST``."""
    page = Page(
        source=Path("fax.tif"), number=1, image=Image.new("L", (20, 30)), dpi=200
    )
    document = Document(
        source=Path("fax.tif"), pages=[page], doc_type="third_party_release"
    )
    document.doc_id = doc_id
    document.confidence = 0.97
    document.status = status
    document.fields = {
        "patient_name": FieldValue("RUIZ SOTO, ANA LUCIA", 0.9),
        "date_of_birth": FieldValue("1971-04-09", 0.9),
    }
    document.checks = {
        name: Check(name, True, 0.95)
        for name in ("signed", "xray_scan_reports_checked", "release_to")
    }
    document.checks["signature_date"] = Check(
        "signature_date", True, 0.95, value="2026-03-01"
    )
    return document


def add_ana_request(engine: Engine) -> None:
    batch = check_rows([RawRow(1, ANA_REQUEST)], "test", TODAY)
    add_requests(engine, batch, TODAY, thresholds_from(Settings()), "import")


def history(engine: Engine, document_id: str) -> list[store.StatusChange]:
    with Session(engine) as session:
        statement = (
            select(store.StatusChange)
            .where(store.StatusChange.document_id == document_id)
            .order_by(store.StatusChange.id)  # type: ignore[arg-type]
        )
        return list(session.exec(statement).all())


def stored(engine: Engine, model: Any, key: object) -> Any:
    with Session(engine) as session:
        found = session.get(model, key)
    assert found is not None
    return found


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Watcher]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = Settings(
        inbox=inbox,
        archive_dir=tmp_path / "archive",
        quarantine_dir=tmp_path / "quarantine",
        database_url=f"sqlite:///{tmp_path / 'intake.db'}",
        workers=1,
    )
    engine = queue.open_queue(settings.database_url)
    watcher = Watcher(settings, engine, 30)
    yield watcher
    watcher.waker.close()
    engine.dispose()


def store_file(watcher: Watcher, name: str, document: Document) -> InboxFile:
    """Drop a file, claim it and store ``document`` as its result."""
    path = watcher.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(name.encode())
    digest = queue.hash_file(path)
    stat = path.stat()
    queue.record_arrival(
        watcher.engine, PurePosixPath(name), digest, stat.st_size, stat.st_mtime_ns
    )
    entry = queue.claim_next(watcher.engine, watcher.owner)
    assert entry is not None
    result = FileResult(
        path=path, sha256=digest, size=stat.st_size, documents=[document]
    )
    watcher._store(entry, result, [SAME_PAGE])
    return stored(watcher.engine, InboxFile, entry.id)


def test_store_flags_rescan_before_matching(
    watcher: Watcher, capsys: pytest.CaptureFixture[str]
) -> None:
    add_ana_request(watcher.engine)

    first = store_file(watcher, "first.png", ana_form("doc-first"))
    second = store_file(watcher, "second.png", ana_form("doc-second"))

    engine = watcher.engine
    first_record = stored(engine, store.DocumentRecord, "doc-first")
    record = stored(engine, store.DocumentRecord, "doc-second")
    match = stored(engine, DocumentMatch, "doc-second")
    changes = history(engine, "doc-second")
    assert first_record.match_request_id == "REQ-ANA"
    assert first.likely_duplicate_of is None
    assert second.likely_duplicate_of == first.id
    assert record.status == "needs_review"
    assert json.loads(record.reasons) == ["likely_duplicate"]
    assert record.match_request_id is None
    assert match.band == "review"
    assert match.best_request_id == "REQ-ANA"
    assert f"inbox file {first.id}" in (match.note or "")
    assert [change.status for change in changes] == ["accepted", "needs_review"]
    assert json.loads(changes[1].reasons) == ["likely_duplicate"]
    assert changes[1].detail == f"likely re-scan of inbox file {first.id}"
    assert queue.read_status(engine).likely_duplicates == 1
    assert cli.main(["status", "--db", watcher.settings.database_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["likely_duplicates"] == 1


def test_store_records_archive_path(watcher: Watcher) -> None:
    entry = store_file(watcher, "fax/scan.png", ana_form("doc-1"))

    source = stored(watcher.engine, store.SourceFile, entry.source_file_id)
    assert entry.moved_at is not None
    assert source.path == str(watcher.inbox / "fax" / "scan.png")
    assert source.archive_path == entry.target_path
    assert source.archive_path is not None
    assert Path(source.archive_path).read_bytes() == b"fax/scan.png"
    assert not (watcher.inbox / "fax" / "scan.png").exists()


@pytest.mark.parametrize(
    ("status", "reasons", "expected_status", "expected_reasons"),
    [
        ("accepted", [], "needs_review", ["likely_duplicate"]),
        (
            "rejected",
            ["signature_missing"],
            "rejected",
            ["signature_missing", "likely_duplicate"],
        ),
        (
            "needs_review",
            ["type_uncertain"],
            "needs_review",
            ["type_uncertain", "likely_duplicate"],
        ),
    ],
)
def test_record_result_flags_rescan(
    status: str, reasons: list[str], expected_status: str, expected_reasons: list[str]
) -> None:
    engine = store.open_database("sqlite://")
    document = ana_form("doc-1", status)
    document.reasons = list(reasons)
    result = FileResult(
        path=Path("inbox/scan.png"), sha256="ab" * 32, size=3, documents=[document]
    )

    (output,) = record_result(
        result, RunContext(Settings(), engine, TODAY), likely_duplicate_of=7
    )

    record = stored(engine, store.DocumentRecord, "doc-1")
    changes = history(engine, "doc-1")
    assert output["status"] == expected_status
    assert output["reasons"] == expected_reasons
    assert record.status == output["status"]
    assert json.loads(record.reasons) == output["reasons"]
    assert [change.status for change in changes] == [status, expected_status]
    assert changes[-1].detail == "likely re-scan of inbox file 7"


def test_rescanned_letter_makes_no_request() -> None:
    letter = make_letter()
    plain_engine = store.open_database("sqlite://")
    rescan_engine = store.open_database("sqlite://")
    result = FileResult(path=Path("letter.png"), sha256="cd" * 32, documents=[letter])

    plain = record_result(result, RunContext(Settings(), plain_engine, TODAY))
    result.documents = [make_letter()]
    flagged = record_result(
        result, RunContext(Settings(), rescan_engine, TODAY), likely_duplicate_of=3
    )

    with Session(rescan_engine) as session:
        requests = session.exec(select(ImageRequest)).all()
    assert plain[0]["match"]["request_id"] == "LTR-doc-letter"
    assert flagged[0]["match"]["request_id"] is None
    assert flagged[0]["match"]["band"] == "none"
    assert requests == []


def make_letter() -> Document:
    """Build a physician's letter that matches no request, and is complete
    enough to become one."""
    page = Page(
        source=Path("letter.png"), number=1, image=Image.new("L", (20, 30)), dpi=200
    )
    letter = Document(
        source=Path("letter.png"), pages=[page], doc_type="physician_request"
    )
    letter.doc_id = "doc-letter"
    letter.confidence = 0.97
    letter.status = "accepted"
    values = {
        "patient_name": "William Whitaker",
        "date_of_birth": "1980-12-01",
        "exam_date": "2026-02-11",
        "exam_description": "MRI left knee",
        "physician_name": "Rebecca Thornton, MD",
        "physician_fax": "503-555-0148",
    }
    letter.fields = {name: FieldValue(value, 0.9) for name, value in values.items()}
    return letter


# Status command --------------------------------------------------------------


def test_status_command_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = queue.open_queue(url)
    queue.record_arrival(engine, PurePosixPath("a.png"), "a" * 64, 1, 1)

    code = cli.main(["status", "--db", url, "--json"])
    record = json.loads(capsys.readouterr().out)

    assert code == 0
    assert record["waiting"] == 1
    assert record["in_progress"] == 0
    assert record["oldest_waiting_seconds"] >= 0
    assert record["watcher"] is None


def test_status_command_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"

    code = cli.main(["status", "--db", url])
    text = capsys.readouterr().out

    assert code == 0
    assert "quarantined" in text
    assert "watcher: not running" in text
