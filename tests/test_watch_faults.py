"""Fault tests of ``intake watch``: a real watcher process on a real folder.

Each test starts ``python -m intake.cli watch`` on a temporary inbox with a
temporary SQLite database and drops files the way fax servers, scanners and
people do. It then checks that every file dropped was stored, recorded as a
duplicate or quarantined, exactly once, with nothing left in the inbox.
Each prints a ``COUNTS`` line (``pytest -s`` shows it; tests/repeat_faults.sh
collects it).

The pages are small generated PNGs of a few printed words, distinct per file,
so OCR takes well under a second each.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from intake import queue
from intake.queue import InboxFile
from intake.store import DocumentRecord, SourceFile
from tests.conftest import REPO, shared_data

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
WORDS = ("release", "imaging", "center", "request", "copy", "films", "report",
         "patient", "clinic", "radiology", "study", "chest", "knee", "spine",
         "scan", "film", "letter", "office", "record", "signature", "date",
         "address", "please", "send", "thank")  # fmt: skip

QUIET = 0.5
"""Quiet time of most tests, in seconds."""


def draw_page(text_seed: int, size: tuple[int, int] = (560, 150)) -> Image.Image:
    """Draw a small page of printed words that differ for every seed."""
    chooser = random.Random(text_seed)
    font = ImageFont.truetype(str(FONT_PATH), 26)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    draw.text((16, 16), f"Page {text_seed:05d}", font=font, fill=0)
    words = " ".join(chooser.choice(WORDS) for _ in range(3))
    draw.text((16, 76), words, font=font, fill=0)
    return image


def write_pages(folder: Path, count: int, start: int = 0) -> list[Path]:
    """Write ``count`` distinct small PNG pages into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(start, start + count):
        path = folder / f"scan_{number:05d}.png"
        draw_page(number).save(path, dpi=(200, 200))
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Counts:
    """What the database and the inbox hold after a run."""

    dropped: int
    documents: int
    sources: int
    done: int
    duplicates: int
    quarantined: int
    open: int
    not_moved: int
    left_in_inbox: int
    reasons: dict[str, int]
    """Quarantined files by reason code."""

    @property
    def balanced(self) -> bool:
        """True when every dropped file is accounted for exactly once."""
        return self.dropped == self.done + self.duplicates + self.quarantined

    def line(self, label: str) -> str:
        return (
            f"COUNTS {label}: dropped={self.dropped} documents={self.documents} "
            f"duplicates={self.duplicates} quarantined={self.quarantined} "
            f"done_files={self.done} source_rows={self.sources} "
            f"left_in_inbox={self.left_in_inbox} reasons={self.reasons}"
        )


def _finished(states: dict[str, int]) -> int:
    """Count the queue rows in a finished state, from counts by state."""
    return sum(states.get(state, 0) for state in queue.FINISHED_STATES)


class WatchedInbox:
    """A temporary inbox, archive, quarantine and database, and the watcher."""

    def __init__(self, root: Path, **settings: object) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.archive = root / "archive"
        self.quarantine = root / "quarantine"
        self.url = f"sqlite:///{root / 'intake.db'}"
        self.log = root / "watch.log"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "OMP_THREAD_LIMIT": "1",
            "INTAKE_INBOX": str(self.inbox),
            "INTAKE_ARCHIVE_DIR": str(self.archive),
            "INTAKE_QUARANTINE_DIR": str(self.quarantine),
            "INTAKE_DATABASE_URL": self.url,
            "INTAKE_QUIET_SECONDS": str(QUIET),
            "INTAKE_EMPTY_FILE_SECONDS": "10",
            "INTAKE_POLL_INTERVAL": "0.5",
            "INTAKE_RESCAN_INTERVAL": "2",
            "INTAKE_WORKERS": "2",
            "INTAKE_POLLING": "events",
        }
        self.env.update({f"INTAKE_{k.upper()}": str(v) for k, v in settings.items()})
        self.process: subprocess.Popen[bytes] | None = None
        self.dropped = 0
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = queue.open_queue(self.url)
        return self._engine

    def start(self) -> None:
        """Start the watcher, appending its log to ``watch.log``."""
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "intake.cli", "watch"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_for(lambda: "watching the inbox" in self.log_text(), 60, "start")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal the watcher and return its exit status."""
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float,
        what: str,
        progress: Callable[[], int] | None = None,
    ) -> None:
        """Poll ``condition`` until it is true, or fail with the log's tail.

        With ``progress``, ``timeout`` counts from the last time its value
        rose, so a slow but working watcher on a loaded machine is waited
        for, and a stalled one still fails.
        """
        deadline = time.monotonic() + timeout
        seen = progress() if progress else 0
        while time.monotonic() < deadline:
            if condition():
                return
            if progress is not None and (now := progress()) > seen:
                seen = now
                deadline = time.monotonic() + timeout
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.2)
        tail = "\n".join(self.log_text().splitlines()[-40:])
        pytest.fail(f"timed out waiting for {what}; watcher log tail:\n{tail}")

    def drop(self, paths: list[Path], names: list[str] | None = None) -> list[Path]:
        """Copy files into the inbox at once and count them as dropped."""
        targets = []
        for index, path in enumerate(paths):
            target = self.inbox / (names[index] if names else path.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            targets.append(target)
        self.dropped += len(paths)
        return targets

    def states(self) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(InboxFile.state, func.count()).group_by(InboxFile.state)
            ).all()
        return dict(rows)

    def documents_left(self) -> list[Path]:
        return list(queue_files(self.inbox))

    def settled(self, expected: int) -> bool:
        """True when ``expected`` files are finished and moved, none open."""
        states = self.states()
        if _finished(states) < expected or states.get(queue.WAITING, 0):
            return False
        if states.get(queue.CLAIMED, 0) or queue.pending_moves(self.engine):
            return False
        return not self.documents_left()

    def wait_settled(self, timeout: float = 240) -> Counts:
        """Wait until every dropped file is finished, failing after
        ``timeout`` seconds in which no file finished."""
        self.wait_for(
            lambda: self.settled(self.dropped),
            timeout,
            "the queue to settle",
            progress=self.finished,
        )
        return self.counts()

    def finished(self) -> int:
        return _finished(self.states())

    def counts(self) -> Counts:
        states = self.states()
        with Session(self.engine) as session:
            documents = session.exec(
                select(func.count()).select_from(DocumentRecord)
            ).one()
            sources = session.exec(select(func.count()).select_from(SourceFile)).one()
            reasons = session.exec(
                select(InboxFile.reason, func.count())
                .where(InboxFile.state == queue.QUARANTINED)
                .group_by(InboxFile.reason)
            ).all()
        return Counts(
            dropped=self.dropped,
            documents=documents,
            sources=sources,
            done=states.get(queue.DONE, 0),
            duplicates=states.get(queue.DUPLICATE, 0),
            quarantined=states.get(queue.QUARANTINED, 0),
            open=states.get(queue.WAITING, 0) + states.get(queue.CLAIMED, 0),
            not_moved=len(queue.pending_moves(self.engine)),
            left_in_inbox=len(self.documents_left()),
            reasons={str(reason): count for reason, count in reasons},
        )

    def rows(self) -> list[InboxFile]:
        with Session(self.engine) as session:
            return list(session.exec(select(InboxFile).order_by(InboxFile.id)).all())

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self._engine is not None:
            self._engine.dispose()


def queue_files(inbox: Path) -> Iterator[Path]:
    """Yield the files in the inbox that the watcher should take."""
    from intake.watch import iter_inbox

    yield from iter_inbox(inbox)


def child_pids(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is ``pid``."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def worker_pids(pid: int) -> list[int]:
    """Return the watcher's worker processes (not multiprocessing's helpers)."""
    workers = []
    for child in child_pids(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.append(child)
    return workers


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def assert_accounted(counts: Counts) -> None:
    assert counts.balanced, counts
    assert counts.open == 0, counts
    assert counts.not_moved == 0, counts
    assert counts.left_in_inbox == 0, counts


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Callable[..., WatchedInbox]]:
    made: list[WatchedInbox] = []

    def make(**settings: object) -> WatchedInbox:
        inbox = WatchedInbox(tmp_path / f"run{len(made)}", **settings)
        made.append(inbox)
        return inbox

    yield make
    for inbox in made:
        inbox.close()


def dense_page(path: Path) -> Path:
    """Write a letter page at 600 dpi covered in small print, slow to OCR.

    One tesseract thread needs far longer than the time limits below for
    it, even on an idle machine, so the limits can be generous enough that
    the small pages never hit them on a loaded one.
    """
    chooser = random.Random(7)
    font = ImageFont.truetype(str(FONT_PATH), 22)
    image = Image.new("L", (5100, 6600), 255)
    draw = ImageDraw.Draw(image)
    for row in range(240):
        words = " ".join(chooser.choice(WORDS) for _ in range(44))
        draw.text((60, 40 + row * 27), words, font=font, fill=0)
    image.save(path, dpi=(600, 600))
    return path


# Bursts --------------------------------------------------------------------


@pytest.mark.parametrize("polling", ["events", "poll"])
def test_burst_of_300_files(watched, tmp_path: Path, polling: str) -> None:
    inbox = watched(polling=polling)
    pages = write_pages(tmp_path / "pages", 300)
    inbox.start()

    inbox.drop(pages)
    counts = inbox.wait_settled(timeout=120)
    print(counts.line(f"burst-{polling}"))

    assert_accounted(counts)
    assert counts.quarantined == 0, counts.reasons
    assert counts.done == 300
    assert counts.documents == 300
    assert counts.sources == 300
    assert counts.duplicates == 0
    assert f"mode={polling}" in inbox.log_text()
    assert inbox.stop() == 0


# Writers -------------------------------------------------------------------


def test_large_file_written_slowly(watched, tmp_path: Path) -> None:
    inbox = watched(quiet_seconds=2)
    source = tmp_path / "large.tif"
    page = Image.new("L", (1700, 2200), 255)
    ImageDraw.Draw(page).text(
        (100, 100), "Slowly written page", font=ImageFont.truetype(str(FONT_PATH), 40)
    )
    page.save(source, dpi=(200, 200))  # uncompressed: about 3.7 MB
    data = source.read_bytes()
    inbox.start()

    target = inbox.inbox / "large.tif"
    chunks = 50
    step = len(data) // chunks + 1
    with target.open("wb") as stream:
        for offset in range(0, len(data), step):
            stream.write(data[offset : offset + step])
            stream.flush()
            time.sleep(20 / chunks)
    inbox.dropped = 1
    counts = inbox.wait_settled()
    print(counts.line("slow-writer"))

    assert_accounted(counts)
    rows = inbox.rows()
    assert len(rows) == 1
    assert rows[0].state == queue.DONE
    assert rows[0].sha256 == hashlib.sha256(data).hexdigest()
    assert sha256_of(Path(rows[0].target_path)) == rows[0].sha256


def test_temporary_name_then_rename(watched, tmp_path: Path) -> None:
    inbox = watched()
    page = write_pages(tmp_path / "pages", 1)[0]
    inbox.start()

    for temporary in ("incoming.png.part", "incoming.tmp", "~$incoming.png"):
        partial = inbox.inbox / temporary
        data = page.read_bytes()
        partial.write_bytes(data[: len(data) // 2])
        time.sleep(QUIET * 3)
        partial.write_bytes(data)
        os.rename(partial, inbox.inbox / f"renamed-{temporary[-4:]}.png")
        time.sleep(QUIET)
    inbox.dropped = 3
    counts = inbox.wait_settled()
    print(counts.line("temp-then-rename"))

    assert_accounted(counts)
    assert counts.done == 1
    assert counts.duplicates == 2
    assert all("renamed-" in row.path for row in inbox.rows())


def test_same_file_twice_and_identical_copy(watched, tmp_path: Path) -> None:
    inbox = watched()
    page = write_pages(tmp_path / "pages", 1)[0]
    inbox.start()

    inbox.drop([page])
    inbox.wait_settled()
    inbox.drop([page])
    inbox.wait_settled()
    inbox.drop([page], names=["copy of the scan.png"])
    counts = inbox.wait_settled()
    print(counts.line("resend"))

    assert_accounted(counts)
    assert counts.documents == 1
    assert counts.duplicates == 2
    first, second, third = inbox.rows()
    assert second.duplicate_of == first.id
    assert third.duplicate_of == first.id
    assert Path(third.target_path).exists()


# Kills and stops ------------------------------------------------------------


def test_kill_9_during_ocr_then_restart(watched, tmp_path: Path) -> None:
    inbox = watched(workers=1)
    pages = write_pages(tmp_path / "pages", 40)
    inbox.start()
    inbox.drop(pages)

    inbox.wait_for(
        lambda: (
            inbox.states().get(queue.DONE, 0) >= 5
            and inbox.states().get(queue.CLAIMED, 0) == 1
        ),
        120,
        "a claim after five files are done",
    )
    assert inbox.process is not None
    workers = worker_pids(inbox.process.pid)
    inbox.stop(signal.SIGKILL)
    claimed = inbox.states().get(queue.CLAIMED, 0)

    deadline = time.monotonic() + 10
    while not all(process_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    orphans = [pid for pid in workers if not process_gone(pid)]
    inbox.start()
    counts = inbox.wait_settled()
    print(counts.line("kill-9"))

    assert claimed == 1
    assert workers
    assert orphans == []
    assert_accounted(counts)
    assert counts.documents == 40
    assert counts.sources == 40
    assert "released 1 files claimed by a previous run" in inbox.log_text()
    assert inbox.stop() == 0


def test_sigterm_during_burst_then_restart(watched, tmp_path: Path) -> None:
    inbox = watched()
    pages = write_pages(tmp_path / "pages", 60)
    inbox.start()
    inbox.drop(pages)

    inbox.wait_for(
        lambda: inbox.states().get(queue.DONE, 0) >= 10, 120, "ten files done"
    )
    code = inbox.stop(signal.SIGTERM)
    after_stop = inbox.states()
    inbox.start()
    counts = inbox.wait_settled()
    print(counts.line("sigterm"))

    assert code == 0
    assert after_stop.get(queue.CLAIMED, 0) == 0
    assert_accounted(counts)
    assert counts.documents == 60
    assert counts.sources == 60


def test_second_sigterm_releases_file_in_progress(watched, tmp_path: Path) -> None:
    inbox = watched(workers=1)
    slow = dense_page(tmp_path / "dense.png")
    inbox.start()
    inbox.drop([slow])
    inbox.wait_for(lambda: inbox.states().get(queue.CLAIMED, 0) == 1, 60, "the claim")

    assert inbox.process is not None
    inbox.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    code = inbox.stop(signal.SIGTERM)
    (row,) = inbox.rows()
    print(inbox.counts().line("double-sigterm"))

    assert code == 0
    assert row.state == queue.WAITING
    assert row.attempts == 0
    assert (inbox.inbox / "dense.png").exists()
    assert "released: it is processed again at the next start" in inbox.log_text()


# Bad files -------------------------------------------------------------------


def test_hung_ocr_is_quarantined_and_queue_moves_on(watched, tmp_path: Path) -> None:
    inbox = watched(ocr_timeout=10, workers=1)
    slow = dense_page(tmp_path / "dense.png")
    pages = write_pages(tmp_path / "pages", 3)
    inbox.start()

    inbox.drop([slow])
    time.sleep(QUIET * 2)
    inbox.drop(pages)
    counts = inbox.wait_settled()
    print(counts.line("ocr-timeout"))

    assert_accounted(counts)
    assert counts.quarantined == 1
    assert counts.done == 3
    reasons = {row.path: row.reason for row in inbox.rows()}
    assert reasons["dense.png"] == "ocr_timeout"
    assert len(list(inbox.quarantine.glob("*.reason.json"))) == 1


def test_file_timeout_kills_worker(watched, tmp_path: Path) -> None:
    inbox = watched(file_timeout=12, workers=1)
    slow = dense_page(tmp_path / "dense.png")
    pages = write_pages(tmp_path / "pages", 2)
    inbox.start()

    inbox.drop(pages[:1])
    inbox.wait_settled()
    inbox.drop([slow])
    time.sleep(QUIET * 2)
    inbox.drop(pages[1:])
    counts = inbox.wait_settled()
    print(counts.line("file-timeout"))

    assert_accounted(counts)
    assert counts.done == 2
    assert counts.quarantined == 1
    assert "ran past INTAKE_FILE_TIMEOUT" in inbox.log_text()


def test_worker_crashing_repeatedly_is_quarantined(watched, tmp_path: Path) -> None:
    inbox = watched(max_attempts=2, workers=1)
    slow = dense_page(tmp_path / "dense.png")
    inbox.start()
    inbox.drop([slow])

    for attempt in (1, 2):
        inbox.wait_for(
            lambda attempt=attempt: (
                _claimed_attempt(inbox) == attempt and _ready_worker(inbox) is not None
            ),
            120,
            f"attempt {attempt} in a ready worker",
        )
        os.kill(_ready_worker(inbox), signal.SIGKILL)  # as the OOM killer would
    counts = inbox.wait_settled()
    print(counts.line("worker-crashes"))

    assert_accounted(counts)
    (row,) = inbox.rows()
    assert row.state == queue.QUARANTINED
    assert row.reason == "internal_error"
    assert row.attempts == 3
    assert inbox.log_text().count("worker 1 died") == 2


def _claimed_attempt(inbox: WatchedInbox) -> int:
    rows = [row for row in inbox.rows() if row.state == queue.CLAIMED]
    return rows[0].attempts if rows else 0


def _ready_worker(inbox: WatchedInbox) -> int | None:
    """Return the worker's pid once it has logged that it is ready."""
    assert inbox.process is not None
    for pid in worker_pids(inbox.process.pid):
        if f"worker process {pid} ready" in inbox.log_text():
            return pid
    return None


# Names, permissions, empty files -------------------------------------------


def test_awkward_names_read_only_and_empty_file(watched, tmp_path: Path) -> None:
    inbox = watched(empty_file_seconds=15)
    pages = write_pages(tmp_path / "pages", 6)
    names = [
        "scan with spaces.png",
        "résumé ñandú.png",
        "スキャン 1.png",
        "факс/получен.png",
        "scanner/floor 2/page.png",
    ]
    inbox.start()

    inbox.drop(pages[:5], names=names)
    read_only = inbox.drop(pages[5:6], names=["read only.png"])[0]
    read_only.chmod(0o444)
    empty = inbox.inbox / "arrives empty.png"
    empty.touch()
    inbox.dropped += 1
    time.sleep(QUIET * 4)
    empty.write_bytes(draw_page_bytes(999))
    counts = inbox.wait_settled()
    print(counts.line("names"))

    assert_accounted(counts)
    assert counts.done == 7
    assert counts.documents == 7
    rows = {row.path: row for row in inbox.rows()}
    assert rows["факс/получен.png"].channel == "факс"
    assert rows["scanner/floor 2/page.png"].channel == "scanner/floor 2"
    assert rows["arrives empty.png"].size > 0
    assert len([row for row in rows.values() if row.path == "arrives empty.png"]) == 1


def draw_page_bytes(seed: int) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    draw_page(seed).save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()


def test_empty_file_is_quarantined_after_grace(watched) -> None:
    inbox = watched(empty_file_seconds=2)
    inbox.start()

    (inbox.inbox / "failed transfer.tif").touch()
    inbox.dropped = 1
    counts = inbox.wait_settled()
    print(counts.line("empty"))

    assert_accounted(counts)
    (row,) = inbox.rows()
    assert row.reason == "file_empty"


# Cases from the field --------------------------------------------------------


def test_fax_rewritten_in_place(watched) -> None:
    case = shared_data("cases", "fax-rewritten-in-place")
    inbox = watched(quiet_seconds=2.5)
    inbox.start()

    target = inbox.inbox / "fax000123.tif"
    for stage in ("stage1.tif", "stage2.tif", "fax_full.tif"):
        with target.open("r+b" if target.exists() else "wb") as stream:
            stream.write((case / stage).read_bytes())
            stream.truncate()
        time.sleep(1.5)
    inbox.dropped = 1
    counts = inbox.wait_settled()
    print(counts.line("fax-rewritten"))

    assert_accounted(counts)
    (row,) = inbox.rows()
    assert row.state == queue.DONE
    assert row.sha256 == sha256_of(case / "fax_full.tif")
    assert counts.sources == 1


def test_inbox_litter_is_left_alone(watched) -> None:
    case = shared_data("cases", "inbox-litter")
    inbox = watched()
    inbox.start()

    for path in case.iterdir():
        shutil.copyfile(path, inbox.inbox / path.name)
    inbox.dropped = 1
    counts = inbox.wait_settled()
    print(counts.line("litter"))

    assert_accounted(counts)
    (row,) = inbox.rows()
    assert row.path == "scan_0042.pdf"
    left = sorted(path.name for path in inbox.inbox.iterdir())
    assert left == sorted(p.name for p in case.iterdir() if p.name != "scan_0042.pdf")


def test_rescan_of_same_paper_is_flagged(watched, tmp_path: Path) -> None:
    from tests.test_watch import release_form, rescan

    inbox = watched(workers=1)
    form = release_form("Maria Lopez Garcia", "03/14/1962", "4471203")
    other = release_form("John Albert Smith", "11/02/1955", "3390127")
    form.save(tmp_path / "first.png", dpi=(200, 200))
    rescan(form).save(tmp_path / "again.png", dpi=(200, 200))
    other.save(tmp_path / "other.png", dpi=(200, 200))
    inbox.start()

    for name in ("first.png", "again.png", "other.png"):
        inbox.drop([tmp_path / name])
        inbox.wait_settled()
    counts = inbox.counts()
    print(counts.line("rescan"))

    assert_accounted(counts)
    first, again, other_row = inbox.rows()
    assert again.state == queue.DONE
    assert again.likely_duplicate_of == first.id
    assert other_row.likely_duplicate_of is None
    assert queue.read_status(inbox.engine).likely_duplicates == 1
    with Session(inbox.engine) as session:
        flagged = session.exec(
            select(DocumentRecord).where(
                DocumentRecord.source_file_id == again.source_file_id
            )
        ).all()
        source = session.get(SourceFile, again.source_file_id)
    assert flagged
    for record in flagged:
        assert "likely_duplicate" in json.loads(record.reasons)
        assert record.status != "accepted"
        assert record.match_request_id is None
    assert source is not None
    assert source.archive_path == again.target_path
    assert Path(source.archive_path or "").is_file()
