"""Watch the inbox folder and process every file dropped there exactly once.

The watcher learns of files in three ways: filesystem events (watchdog's
inotify observer), a scan of the whole inbox at start, and periodic scans.
In ``poll`` mode the scans every ``poll_interval`` are all there is. In
``events`` mode a scan every ``rescan_interval`` catches events that were
lost (an inotify queue overflow in a burst, a folder created and filled
before its watch was added). ``auto`` uses events only where they arrive.

A file is ready once its inode, size, mtime and ctime have not changed for
``quiet_seconds`` (``empty_file_seconds`` while it has zero bytes). Ready
files are queued in the database (``intake.queue``), claimed one at a time
per worker process, processed by ``intake.pipeline.analyse_file`` in that
process, stored with their queue row marked finished in one transaction,
then moved to the archive (or left in the quarantine folder).

Risks this watcher accepts:

- A writer that pauses longer than ``quiet_seconds`` in the middle of a
  file has the part written so far read as a whole file. If the file
  changes again before its documents are stored, the result is dropped and
  the file is queued anew. A change after the store but before the move is
  processed again as a new file. After the move, further writes go into the
  archived copy and are not processed.
- On NFS, ``stat`` may return cached attributes for up to the mount's
  ``acregmax`` (60 s by default), so a file written from another machine can
  look quiet while it grows. Mount the inbox with ``actimeo=1`` or set
  ``quiet_seconds`` above the cache time.
- A file that changes in the few milliseconds between the final check and
  the move is archived with the new bytes under the old hash.
- Files with ignored names (temporary, hidden, desktop litter) are left in
  the inbox untouched. Symbolic links are skipped.
- One watcher per database: a second one exits with status 2 at start.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing.connection import Connection as Pipe
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Any

from sqlalchemy import Engine
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from intake import queue
from intake.discover import is_ignored
from intake.errors import ConfigError
from intake.queue import InboxFile, Owner, PageFingerprint
from intake.reasons import Reason
from intake.settings import Settings

log = logging.getLogger(__name__)

PROBE_SECONDS = 3.0
"""Seconds to wait for the event of the probe file before polling instead."""
STOP_GRACE_SECONDS = 20.0
"""Seconds a stop request waits for files in progress before releasing them."""
LEASE_RENEW_SECONDS = 10.0
WORKER_START_SECONDS = 120.0
"""Seconds a new worker process may take to import the pipeline."""
MAX_TICK_SECONDS = 0.25
"""Maximum sleep of the main loop between readiness checks."""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""Log line format of the worker processes, the same as the command line's."""
READY = "ready"
"""The message a worker sends once it has imported the pipeline."""
START_RETRY_SECONDS = (10.0, 300.0)
"""First and maximum wait before a worker that failed to start is started
again; the wait doubles with each failure in a row."""

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs",
        "afs", "vboxsf", "virtiofs", "davfs", "lustre", "gpfs", "beegfs",
    }
)  # fmt: skip
"""Filesystem types whose changes made by other machines or by the host of a
virtual machine or container produce no inotify events here. FUSE mounts
(type ``fuse.*``) count too."""

Signature = tuple[int, int, int, int]
"""A file's (inode, size, mtime_ns, ctime_ns): any change restarts its quiet
time. The inode changes when a writer renames a new file over the old one."""


def check_folders(settings: Settings) -> None:
    """Validate the watcher's folders, creating the archive and quarantine.

    Raises:
        ConfigError: The inbox is missing or not writable, or the archive or
            quarantine folder is inside the inbox or cannot be created.
    """
    inbox = settings.inbox.resolve()
    if not inbox.is_dir():
        raise ConfigError(
            f"INTAKE_INBOX={settings.inbox} is not a folder. Create it, or "
            f"point INTAKE_INBOX at the folder the fax server writes to"
        )
    if not os.access(inbox, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(
            f"INTAKE_INBOX={settings.inbox} must be readable and writable by "
            f"this user, because processed files are moved out of it"
        )
    database = settings.database_url.removeprefix("sqlite:///")
    if database != settings.database_url and Path(database).resolve().is_relative_to(
        inbox
    ):
        raise ConfigError(
            f"INTAKE_DATABASE_URL={settings.database_url} is inside the inbox. "
            f"Keep the database outside {settings.inbox}"
        )
    for variable, folder in (
        ("INTAKE_ARCHIVE_DIR", settings.archive_dir),
        ("INTAKE_QUARANTINE_DIR", settings.quarantine_dir),
    ):
        if folder.resolve().is_relative_to(inbox):
            raise ConfigError(
                f"{variable}={folder} is inside the inbox. Choose a folder "
                f"outside {settings.inbox}"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"{variable}={folder} cannot be created ({error.strerror})"
            ) from None


def filesystem_type(path: Path) -> str:
    """Return the type of the filesystem ``path`` is on, from mountinfo."""
    target = str(path.resolve())
    best, kind = "", "unknown"
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return kind
    for line in lines:
        before, _, after = line.partition(" - ")
        mount_point = _unescape_mount(before.split()[4])
        inside = target == mount_point or target.startswith(
            mount_point.rstrip("/") + "/"
        )
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, after.split()[0]
    return kind


def _unescape_mount(text: str) -> str:
    for code, char in (
        ("\\040", " "),
        ("\\011", "\t"),
        ("\\012", "\n"),
        ("\\134", "\\"),
    ):
        text = text.replace(code, char)
    return text


def delivers_events_remotely(kind: str) -> bool:
    """Return False for filesystem types whose remote writes raise no events."""
    return kind not in NETWORK_FILESYSTEMS and not kind.startswith("fuse")


def iter_inbox(inbox: Path) -> Iterator[Path]:
    """Yield every regular file under ``inbox`` whose name is not ignored.

    Ignored folders (hidden ones, say) are not entered and symbolic links
    are not followed.
    """
    for folder, subfolders, names in os.walk(inbox):
        subfolders[:] = [name for name in subfolders if not is_ignored(Path(name))]
        for name in names:
            path = Path(folder, name)
            if is_ignored(path) or path.is_symlink():
                continue
            yield path


def read_signature(path: Path) -> Signature | None:
    """Return the file's signature, or None when it is gone or not a file."""
    try:
        stat = path.lstat()
    except OSError:
        return None
    if not path.is_file() or path.is_symlink():
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass
class _Observation:
    signature: Signature | None
    since: float


class ReadinessTracker:
    """Files seen in the inbox that have not yet been quiet long enough."""

    def __init__(self, quiet_seconds: float, empty_file_seconds: float) -> None:
        self.quiet_seconds = quiet_seconds
        self.empty_file_seconds = empty_file_seconds
        self._seen: dict[Path, _Observation] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def touch(self, path: Path, now: float) -> None:
        """Start watching ``path``. Its quiet time starts at the next check."""
        if path not in self._seen:
            self._seen[path] = _Observation(None, now)

    def forget(self, path: Path) -> None:
        """Stop watching ``path``."""
        self._seen.pop(path, None)

    def pop_ready(self, now: float) -> list[tuple[Path, Signature]]:
        """Check every watched file and return those quiet long enough.

        Files that are gone are dropped, and returned files are no longer watched.
        """
        ready: list[tuple[Path, Signature]] = []
        for path, seen in list(self._seen.items()):
            signature = read_signature(path)
            if signature is None:
                del self._seen[path]
            elif signature != seen.signature:
                seen.signature, seen.since = signature, now
            elif now - seen.since >= self._quiet_time(signature):
                del self._seen[path]
                ready.append((path, signature))
        return ready

    def _quiet_time(self, signature: Signature) -> float:
        return self.empty_file_seconds if signature[1] == 0 else self.quiet_seconds


# Events --------------------------------------------------------------------


class Waker:
    """A pipe that wakes the main loop from another thread or a signal handler.

    The main loop waits on the read end together with the worker pipes, so
    one wait covers filesystem events, results and stop requests.
    """

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)

    def set(self) -> None:
        """Wake the main loop, unless a wake-up is already pending."""
        try:
            os.write(self.write_fd, b"!")
        except BlockingIOError:
            pass

    def clear(self) -> None:
        """Drain pending wake-ups."""
        try:
            while os.read(self.read_fd, 4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        """Close both ends of the pipe."""
        os.close(self.read_fd)
        os.close(self.write_fd)


class _InboxHandler(FileSystemEventHandler):
    """Passes watchdog events to the main loop as (kind, path) pairs."""

    def __init__(self, inbox: Path, notify: Waker) -> None:
        self.inbox = inbox
        self.notify = notify
        self.events: deque[tuple[str, Path]] = deque()
        self.probe: Path | None = None
        self.probe_seen = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == "events_lost":
            self.events.append(("rescan", self.inbox))
            self.notify.set()
            return
        if event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = Path(os.fsdecode(event.dest_path or event.src_path))
        if path == self.probe:
            self.probe_seen.set()
            return
        if event.is_directory:
            if event.event_type in ("created", "moved"):
                self.events.append(("scan", path))
        else:
            self.events.append(("file", path))
        self.notify.set()


class EventSource:
    """Watchdog's observer on the inbox, or nothing when the inbox is polled."""

    def __init__(self, inbox: Path, notify: Waker) -> None:
        self.inbox = inbox
        self.handler = _InboxHandler(inbox, notify)
        self.observer: BaseObserver | None = None

    def start(self, polling: str) -> str:
        """Start the observer for the ``polling`` setting and return the mode in use."""
        if polling == "poll":
            return "poll"
        kind = filesystem_type(self.inbox)
        if polling == "auto" and not delivers_events_remotely(kind):
            log.info(
                "inbox is on a %s filesystem, which raises no events "
                "for remote writes: polling",
                kind,
            )
            return "poll"
        try:
            observer = Observer()
            observer.schedule(self.handler, str(self.inbox), recursive=True)
            observer.start()
        except OSError as error:
            log.warning("filesystem events unavailable (%s): polling", error.strerror)
            return "poll"
        self.observer = observer
        if polling == "events" or self._probe():
            return "events"
        log.warning(
            "no event arrived for a probe file within %.0f s: polling", PROBE_SECONDS
        )
        self.stop()
        return "poll"

    def _probe(self) -> bool:
        probe = self.inbox / f".intake-probe-{os.getpid()}"
        self.handler.probe = probe
        try:
            probe.write_bytes(b"probe\n")
            return self.handler.probe_seen.wait(PROBE_SECONDS)
        finally:
            probe.unlink(missing_ok=True)

    def is_alive(self) -> bool:
        """Return True while the observer thread runs."""
        return self.observer is not None and self.observer.is_alive()

    def take(self) -> list[tuple[str, Path]]:
        """Return and clear the events received since the last call."""
        events = []
        while self.handler.events:
            events.append(self.handler.events.popleft())
        return events

    def stop(self) -> None:
        """Stop the observer thread, if one runs."""
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None


# Worker processes ----------------------------------------------------------

_SPAWN = multiprocessing.get_context("spawn")
"""Workers are spawned, not forked: the main process runs the observer
thread, and forking a process with threads can deadlock the child."""


@dataclass
class Outcome:
    """The outcome of a file given to a worker."""

    kind: str
    """``result``, ``crashed``, ``start_failed`` or ``timed_out``."""
    result: Any = None
    """The ``FileResult``, for ``result``."""
    fingerprints: list[PageFingerprint] = field(default_factory=list)
    exit_code: int | None = None


class Worker:
    """One child process that analyses one file at a time.

    The child runs in its own process group, so a Ctrl-C in a terminal
    reaches only the main process, and killing the group also ends the
    tesseract processes it started.
    """

    def __init__(self, number: int, log_level: int) -> None:
        self.number = number
        self.log_level = log_level
        self.entry: InboxFile | None = None
        self._process: Any = None
        self._pipe: Pipe | None = None
        self._deadline = 0.0
        self.ready = False
        """True once the process has imported the pipeline."""
        self.start_failures = 0
        self.not_before = 0.0
        """Monotonic time before which the worker is not started again."""

    @property
    def busy(self) -> bool:
        """True while a file is in the worker."""
        return self.entry is not None

    def waitables(self) -> list[Any]:
        """Return the pipe and process sentinel to wait on while busy."""
        if self.entry is None or self._pipe is None:
            return []
        return [self._pipe, self._process.sentinel]

    def submit(
        self, entry: InboxFile, path: Path, settings: Settings, timeout: float
    ) -> None:
        """Give ``entry`` (found at ``path``) to the worker process."""
        started = self._ensure_started()
        assert self._pipe is not None
        self._pipe.send((path, settings, date.today()))
        self.entry = entry
        self._deadline = time.monotonic() + timeout
        if started:
            self._deadline += WORKER_START_SECONDS

    def poll(self) -> Outcome | None:
        """Return the outcome of the current file, or None while it runs."""
        if self.entry is None or self._pipe is None:
            return None
        try:
            while self._pipe.poll():
                message = self._pipe.recv()
                if message == READY:
                    self.ready, self.start_failures = True, 0
                    continue
                self.entry = None
                return Outcome("result", message[0], message[1])
        except (EOFError, OSError):
            pass
        if not self._process.is_alive() or self._pipe.closed:
            return self._died()
        if time.monotonic() > self._deadline:
            self.entry = None
            self.kill()
            return Outcome("timed_out")
        return None

    def _died(self) -> Outcome:
        self.entry = None
        exit_code = self._process.exitcode
        started = self.ready
        self.kill()  # ends tesseract processes the dead worker left behind
        if started:
            return Outcome("crashed", exit_code=exit_code)
        # A worker that dies before it is ready is broken, not the file:
        # wait longer before each new try instead of blaming the file.
        self.start_failures += 1
        first, longest = START_RETRY_SECONDS
        wait = min(longest, first * 2 ** (self.start_failures - 1))
        self.not_before = time.monotonic() + wait
        return Outcome("start_failed", exit_code=exit_code)

    def kill(self) -> None:
        """Kill the worker and everything it started."""
        if self._process is not None and self._process.pid is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.join(timeout=5)
        self._discard()

    def stop(self) -> None:
        """Ask an idle worker to exit, and kill it if it does not."""
        if self._pipe is not None:
            self._pipe.close()
        if self._process is not None:
            self._process.join(timeout=5)
        self.kill()

    def _ensure_started(self) -> bool:
        if self._process is not None and self._process.is_alive():
            return False
        self._discard()
        parent_end, child_end = _SPAWN.Pipe()
        self._process = _SPAWN.Process(
            target=serve_worker,
            args=(child_end, os.getpid(), self.log_level),
            name=f"intake-worker-{self.number}",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._pipe = parent_end
        self.ready = False
        log.info("worker %d started (pid %d)", self.number, self._process.pid)
        return True

    def _discard(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
        self._pipe = None
        self._process = None


def serve_worker(pipe: Pipe, parent_pid: int, log_level: int) -> None:
    """Run in a worker process: analyse each file sent until the pipe closes.

    Each request is ``(path, settings, today)``. Each reply is the
    ``FileResult`` and the page fingerprints.
    """
    os.setpgrp()
    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    from intake.pipeline import analyse_file  # imported here: slow, child only

    pipe.send(READY)
    log.info("worker process %d ready", os.getpid())
    while True:
        try:
            path, settings, today = pipe.recv()
        except (EOFError, OSError):
            return
        result = analyse_file(path, settings, today)
        pipe.send((result, _fingerprint(result)))


def _fingerprint(result: Any) -> list[PageFingerprint]:
    """Hash the result's pages, or return [] (no re-scan check) on failure."""
    pages = [page for document in result.documents for page in document.pages]
    try:
        return [queue.fingerprint_page(page) for page in pages]
    except Exception:
        log.exception("page hashes failed for file %s", result.file_id)
        return []


def _exit_with_parent(parent_pid: int) -> None:
    """Kill this worker's process group once the main process is gone.

    A killed main process leaves its claim in the database, and the next start
    releases it, so the orphaned work would only be wasted.
    """
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os.killpg(os.getpgrp(), signal.SIGKILL)


# The main loop -------------------------------------------------------------


class Watcher:
    """Finds ready files, queues them, hands them to workers, stores results."""

    def __init__(self, settings: Settings, engine: Engine, log_level: int) -> None:
        self.settings = settings
        self.file_settings = replace(settings, workers=1)
        self.inbox = settings.inbox.resolve()
        self.engine = engine
        self.owner = Owner.current()
        self.waker = Waker()
        self.events = EventSource(self.inbox, self.waker)
        self.tracker = ReadinessTracker(
            settings.quiet_seconds, settings.empty_file_seconds
        )
        self.workers = [Worker(n + 1, log_level) for n in range(settings.worker_count)]
        self.known: dict[Path, tuple[int, int]] = {}
        """Queued files by path, with the (size, mtime_ns) they were queued at."""
        self.deferred: dict[int, float] = {}
        """Queue ids not to claim before the given monotonic time."""
        self.unreadable: set[Path] = set()
        self.inbox_missing = False
        self.mode = "poll"
        self.stopping = False
        self.hurry = False
        self.exit_code = 0
        self._next_scan = 0.0
        self._next_renew = 0.0

    def run(self) -> int:
        """Watch until SIGTERM or SIGINT, then return the exit status.

        Raises:
            WatcherRunningError: Another watcher uses the database.
        """
        queue.acquire_lease(self.engine, self.owner, self.inbox)
        try:
            self._install_signal_handlers()
            self._recover()
            self.mode = self.events.start(self.settings.polling)
            log.info(
                "watching the inbox: mode=%s quiet=%gs workers=%d owner=%s",
                self.mode,
                self.settings.quiet_seconds,
                len(self.workers),
                self.owner,
            )
            while not self.stopping:
                self._step()
                self._wait()
            self._drain()
        finally:
            self._shut_down()
        return self.exit_code

    def _install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: FrameType | None) -> None:
            self.hurry = self.stopping
            self.stopping = True
            self.waker.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def _recover(self) -> None:
        released = queue.recover_claims(self.engine)
        if released:
            log.info(
                "released %d files claimed by a previous run: %s",
                len(released),
                released,
            )
        self._finish_moves()
        for entry in queue.list_open(self.engine):
            self.known[self.inbox / entry.path] = (entry.size, entry.mtime_ns)

    def _step(self) -> None:
        now = time.monotonic()
        for kind, path in self.events.take():
            if kind == "file":
                self._notice(path, now)
            else:
                self._scan(path if kind == "scan" else self.inbox, now)
        if self.mode == "events" and not self.events.is_alive():
            log.error("the filesystem event observer stopped: polling instead")
            self.mode = "poll"
        if now >= self._next_scan:
            self._scan(self.inbox, now)
            self._finish_moves()
        for path, signature in self.tracker.pop_ready(now):
            self._queue(path, signature)
        self._collect()
        self._dispatch()
        if now >= self._next_renew:
            self._renew_lease(now)

    def _wait(self) -> None:
        waitables: list[Any] = [self.waker.read_fd]
        for worker in self.workers:
            waitables += worker.waitables()
        timeout = MAX_TICK_SECONDS if len(self.tracker) else 1.0
        timeout = min(timeout, max(0.0, self._next_scan - time.monotonic()))
        multiprocessing.connection.wait(waitables, timeout)
        self.waker.clear()

    # Finding files ---------------------------------------------------------

    def _scan(self, folder: Path, now: float) -> None:
        if folder == self.inbox:
            interval = (
                self.settings.poll_interval
                if self.mode == "poll"
                else self.settings.rescan_interval
            )
            self._next_scan = now + interval
            if not self._inbox_present():
                return
        for path in iter_inbox(folder):
            self._notice(path, now)

    def _inbox_present(self) -> bool:
        present = self.inbox.is_dir()
        if present == self.inbox_missing:
            self.inbox_missing = not present
            if present:
                log.info("the inbox folder is back")
            else:
                log.error("the inbox folder %s is missing or unmounted", self.inbox)
        return present

    def _notice(self, path: Path, now: float) -> None:
        try:
            relative = path.relative_to(self.inbox)
        except ValueError:
            return
        if any(is_ignored(Path(part)) for part in relative.parts):
            return
        queued = self.known.get(path)
        if queued is not None:
            signature = read_signature(path)
            if signature is not None and (signature[1], signature[2]) == queued:
                return
        self.tracker.touch(path, now)

    def _queue(self, path: Path, signature: Signature) -> None:
        try:
            sha256 = queue.hash_file(path)
        except FileNotFoundError:
            return
        except OSError as error:
            if path not in self.unreadable:
                self.unreadable.add(path)
                log.warning(
                    "a file in the inbox cannot be read (%s). It stays there "
                    "until the intake user may read it",
                    error.strerror,
                )
            return
        if read_signature(path) != signature:
            self.tracker.touch(path, time.monotonic())
            return
        self.unreadable.discard(path)
        relative = PurePosixPath(path.relative_to(self.inbox).as_posix())
        entry, created = queue.record_arrival(
            self.engine, relative, sha256, signature[1], signature[2]
        )
        assert entry.id is not None
        self.known[path] = (signature[1], signature[2])
        self.deferred.pop(entry.id, None)
        if created:
            log.info(
                "file %d queued: sha256=%s channel=%s bytes=%d",
                entry.id,
                sha256[:12],
                entry.channel or "-",
                signature[1],
            )

    # Claiming and processing -----------------------------------------------

    def _dispatch(self) -> None:
        if self.stopping:
            return
        for worker in self.workers:
            while not worker.busy and time.monotonic() >= worker.not_before:
                now = time.monotonic()
                skip = [key for key, until in self.deferred.items() if until > now]
                entry = queue.claim_next(self.engine, self.owner, skip)
                if entry is None:
                    return
                self._start(worker, entry)

    def _start(self, worker: Worker, entry: InboxFile) -> None:
        assert entry.id is not None
        path = self.inbox / entry.path
        signature = read_signature(path)
        if signature is None:
            log.warning("file %d left the inbox before it was read", entry.id)
            queue.mark_missing(self.engine, entry.id)
            self.known.pop(path, None)
        elif (signature[1], signature[2]) != (entry.size, entry.mtime_ns):
            self._requeue(entry, path, "changed after it was queued")
        elif entry.attempts > self.settings.max_attempts:
            self._quarantine(
                entry,
                Reason.INTERNAL_ERROR,
                f"{path}: a worker process died on this file "
                f"{entry.attempts - 1} times (INTAKE_MAX_ATTEMPTS="
                f"{self.settings.max_attempts}). The file may crash the reader, so "
                f"report it with the file id {entry.id} from the log.",
            )
        elif original := queue.find_original(self.engine, entry):
            self._finish_duplicate(entry, original)
        else:
            worker.submit(entry, path, self.file_settings, self.settings.file_timeout)
            log.info(
                "file %d claimed by worker %d, attempt %d",
                entry.id,
                worker.number,
                entry.attempts,
            )

    def _requeue(self, entry: InboxFile, path: Path, change: str) -> None:
        """Release a file whose bytes changed, to be queued again once quiet."""
        assert entry.id is not None
        queue.release(self.engine, entry.id, self.owner, refund=True)
        self.deferred[entry.id] = float("inf")
        self.known.pop(path, None)
        self.tracker.touch(path, time.monotonic())
        log.info("file %d %s: waiting for it to be quiet again", entry.id, change)

    def _collect(self) -> None:
        for worker in self.workers:
            entry = worker.entry
            outcome = worker.poll()
            if outcome is None or entry is None:
                continue
            if outcome.kind == "result":
                self._finish(entry, outcome.result, outcome.fingerprints)
            elif outcome.kind == "crashed":
                self._crashed(worker, entry, outcome.exit_code)
            elif outcome.kind == "start_failed":
                self._start_failed(worker, entry, outcome.exit_code)
            else:
                self._timed_out(entry)

    def _start_failed(
        self, worker: Worker, entry: InboxFile, exit_code: int | None
    ) -> None:
        assert entry.id is not None
        queue.release(self.engine, entry.id, self.owner, refund=True)
        log.error(
            "worker %d exited (exit code %s) before it could read files, so "
            "file %d waits. The worker's traceback above gives the cause. "
            "Failure %d in a row, next try in %.0f s",
            worker.number,
            exit_code,
            entry.id,
            worker.start_failures,
            worker.not_before - time.monotonic(),
        )

    def _crashed(self, worker: Worker, entry: InboxFile, exit_code: int | None) -> None:
        assert entry.id is not None
        refund = self.stopping
        queue.release(self.engine, entry.id, self.owner, refund=refund)
        log.error(
            "worker %d died (exit code %s) on file %d, attempt %d of %d%s",
            worker.number,
            exit_code,
            entry.id,
            entry.attempts,
            self.settings.max_attempts,
            " (not counted: stopping)" if refund else "",
        )

    def _timed_out(self, entry: InboxFile) -> None:
        assert entry.id is not None
        if self.stopping:
            queue.release(self.engine, entry.id, self.owner, refund=True)
            return
        log.error(
            "file %d ran past INTAKE_FILE_TIMEOUT=%gs: worker killed",
            entry.id,
            self.settings.file_timeout,
        )
        self._quarantine(
            entry,
            Reason.OCR_TIMEOUT,
            f"{self.inbox / entry.path}: processing did not finish within "
            f"INTAKE_FILE_TIMEOUT={self.settings.file_timeout:g} seconds. The "
            f"file may be damaged. If it is genuine, raise INTAKE_FILE_TIMEOUT "
            f"and process it again.",
        )

    def _finish(
        self, entry: InboxFile, result: Any, prints: list[PageFingerprint]
    ) -> None:
        assert entry.id is not None
        path = self.inbox / entry.path
        if self.stopping and result.reason is not None:
            # A stop request may have interrupted tesseract, so a failure now
            # may not be the file's fault. It is tried again after the restart.
            queue.release(self.engine, entry.id, self.owner, refund=True)
            log.info("file %d released: it failed while the watcher stopped", entry.id)
            return
        signature = read_signature(path)
        if signature is None:
            log.warning("file %d left the inbox while it was read", entry.id)
            queue.mark_missing(self.engine, entry.id)
            self.known.pop(path, None)
            return
        stat = (signature[1], signature[2])
        if stat != (entry.size, entry.mtime_ns) or result.sha256 != entry.sha256:
            self._requeue(entry, path, "changed while it was read")
            return
        self._store(entry, result, prints)

    def _quarantine(self, entry: InboxFile, reason: Reason, message: str) -> None:
        from intake.pipeline import FileResult

        result = FileResult(
            path=self.inbox / entry.path,
            sha256=entry.sha256,
            size=entry.size,
            reason=reason,
            message=message,
        )
        self._store(entry, result, [])

    # Storing and moving ----------------------------------------------------

    def _store(
        self, entry: InboxFile, result: Any, prints: list[PageFingerprint]
    ) -> None:
        """Store the result and mark the file finished in one transaction."""
        from intake.pipeline import RunContext, record_result

        assert entry.id is not None
        processed = result.reason is None
        likely = None
        if processed:
            # The re-scan check runs first, so record_result can flag the
            # documents before it matches them to requests.
            likely = queue.find_likely_duplicate(
                self.engine,
                prints,
                queue.patient_fields(result.documents),
                self.settings.duplicate_days,
            )
        try:
            with self.engine.begin() as connection:
                # The pipeline's stores open sessions on this connection
                # instead of an engine, so their commits join this transaction.
                context = RunContext(self.settings, connection, date.today())
                record_result(result, context, likely_duplicate_of=likely)
                source = queue.find_source_file(connection, result.sha256)
                assert source is not None
                target = (
                    queue.archive_path(self.settings.archive_dir, entry)
                    if processed
                    else Path(source.quarantine_path or "")
                )
                queue.mark_finished(
                    connection,
                    entry.id,
                    queue.DONE if processed else queue.QUARANTINED,
                    target,
                    source_file_id=source.id,
                    likely_duplicate_of=likely,
                    reason=None if processed else str(result.reason),
                    fingerprints=prints if processed else [],
                )
        except Exception:
            log.exception(
                "storing file %d failed, retrying in %g s",
                entry.id,
                self.settings.rescan_interval,
            )
            queue.release(self.engine, entry.id, self.owner, refund=False)
            self.deferred[entry.id] = time.monotonic() + self.settings.rescan_interval
            return
        self._log_finished(entry, result, likely)
        self._move(entry.id, self.inbox / entry.path, target, entry.sha256)

    def _log_finished(self, entry: InboxFile, result: Any, likely: int | None) -> None:
        if result.reason is not None:
            log.warning("file %d quarantined: %s", entry.id, result.reason)
            return
        documents = ",".join(document.doc_id for document in result.documents)
        log.info("file %d done: documents %s", entry.id, documents or "none")
        if likely is not None:
            log.warning(
                "file %d looks like a re-scan of file %d: its documents are "
                "flagged likely_duplicate and not attached automatically",
                entry.id,
                likely,
            )

    def _finish_duplicate(self, entry: InboxFile, original: InboxFile) -> None:
        assert entry.id is not None
        target = queue.archive_path(self.settings.archive_dir, entry)
        with self.engine.begin() as connection:
            queue.mark_finished(
                connection, entry.id, queue.DUPLICATE, target, duplicate_of=original.id
            )
        log.info(
            "file %d is a byte-identical copy of file %d: not processed again",
            entry.id,
            original.id,
        )
        self._move(entry.id, self.inbox / entry.path, target, entry.sha256)

    def _move(
        self, entry_id: int, path: Path, target: Path | None, sha256: str
    ) -> None:
        moved = False
        if target is not None and target != Path(""):
            try:
                moved = queue.move_file(path, target, sha256)
            except OSError as error:
                log.error(
                    "moving file %d out of the inbox failed (%s), retrying "
                    "at the next scan",
                    entry_id,
                    error.strerror or "target exists with other content",
                )
                return
        queue.mark_moved(self.engine, entry_id, moved=moved)
        self.known.pop(path, None)
        if moved:
            log.info("file %d moved out of the inbox", entry_id)
        else:
            log.error(
                "file %d was replaced or removed before it could be "
                "moved. Its stored result is kept",
                entry_id,
            )

    def _finish_moves(self) -> None:
        for entry in queue.pending_moves(self.engine):
            assert entry.id is not None
            target = Path(entry.target_path) if entry.target_path else None
            self._move(entry.id, self.inbox / entry.path, target, entry.sha256)

    # Stopping --------------------------------------------------------------

    def _renew_lease(self, now: float) -> None:
        self._next_renew = now + LEASE_RENEW_SECONDS
        if not queue.renew_lease(self.engine, self.owner):
            log.error("another watcher took over this database: stopping")
            self.stopping = self.hurry = True
            self.exit_code = 1

    def _drain(self) -> None:
        busy = [worker for worker in self.workers if worker.busy]
        log.info(
            "stopping: %d files in progress, waiting up to %g s",
            len(busy),
            STOP_GRACE_SECONDS,
        )
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(w.busy for w in self.workers) and not self.hurry:
            if time.monotonic() > deadline:
                break
            self._collect()
            self._wait()
        for worker in self.workers:
            entry = worker.entry
            if entry is None or entry.id is None:
                continue
            worker.kill()
            worker.entry = None
            queue.release(self.engine, entry.id, self.owner, refund=True)
            log.info(
                "file %d released: it is processed again at the next start", entry.id
            )

    def _shut_down(self) -> None:
        self.events.stop()
        for worker in self.workers:
            worker.stop()
        queue.release_lease(self.engine, self.owner)
        self.waker.close()
        log.info("stopped")


def run_watch(settings: Settings, log_level: int = logging.INFO) -> int:
    """Validate the folders, open the database and watch until stopped.

    Returns:
        0 after a stop request, 1 when another watcher took the database.

    Raises:
        ConfigError: A folder setting is invalid.
        WatcherRunningError: Another watcher uses the database.
    """
    check_folders(settings)
    engine = queue.open_queue(settings.database_url)
    return Watcher(settings, engine, log_level).run()
