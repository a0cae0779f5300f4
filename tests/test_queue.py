"""The durable queue: states, crash points, idempotent moves, the lease."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from intake import queue, store
from intake.errors import ConfigError
from intake.queue import InboxFile, Owner, WatcherRunningError


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = queue.open_queue(f"sqlite:///{tmp_path / 'queue.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def owner() -> Owner:
    return Owner.current()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def arrive(engine: Engine, name: str, data: bytes) -> InboxFile:
    entry, _ = queue.record_arrival(
        engine, PurePosixPath(name), sha(data), len(data), 1_000
    )
    return entry


def finish(engine: Engine, entry: InboxFile, state: str, target: Path | None) -> None:
    assert entry.id is not None
    with engine.begin() as connection:
        queue.mark_finished(connection, entry.id, state, target)


def row(engine: Engine, entry_id: int | None) -> InboxFile:
    with Session(engine) as session:
        found = session.get(InboxFile, entry_id)
    assert found is not None
    return found


# Arrivals ----------------------------------------------------------------


def test_arrival_same_content_reuses_row(engine) -> None:
    first, created_first = queue.record_arrival(
        engine, PurePosixPath("fax/a.tif"), sha(b"one"), 3, 1
    )
    second, created_second = queue.record_arrival(
        engine, PurePosixPath("fax/a.tif"), sha(b"one"), 3, 1
    )

    assert created_first
    assert not created_second
    assert second.id == first.id
    assert first.channel == "fax"


def test_arrival_top_level_has_empty_channel(engine) -> None:
    assert arrive(engine, "a.pdf", b"x").channel == ""


def test_arrival_new_content_updates_waiting_row(engine) -> None:
    first = arrive(engine, "a.tif", b"stage one")
    second = arrive(engine, "a.tif", b"stage two, longer")

    assert second.id == first.id
    assert second.sha256 == sha(b"stage two, longer")
    assert second.size == len(b"stage two, longer")


def test_arrival_after_finish_before_move_gets_new_row(
    engine: Engine, tmp_path: Path
) -> None:
    first = arrive(engine, "a.tif", b"first fax")
    finish(engine, first, queue.DONE, tmp_path / "archive" / "1.tif")

    second = arrive(engine, "a.tif", b"second fax, same name")

    assert second.id != first.id
    assert row(engine, first.id).moved_at is not None
    assert row(engine, first.id).target_path is None
    assert queue.pending_moves(engine) == []


def test_arrival_after_finish_same_content_is_same_row(
    engine: Engine, tmp_path: Path
) -> None:
    first = arrive(engine, "a.tif", b"fax")
    finish(engine, first, queue.DONE, tmp_path / "1.tif")

    again = arrive(engine, "a.tif", b"fax")

    assert again.id == first.id
    assert [entry.id for entry in queue.pending_moves(engine)] == [first.id]


# Claims ------------------------------------------------------------------


def test_claim_takes_oldest_and_counts_attempt(engine: Engine, owner: Owner) -> None:
    first = arrive(engine, "a.png", b"a")
    arrive(engine, "b.png", b"b")

    claimed = queue.claim_next(engine, owner)

    assert claimed is not None
    assert claimed.id == first.id
    assert claimed.state == queue.CLAIMED
    assert claimed.attempts == 1
    assert claimed.claimed_by == str(owner)


def test_claim_holds_back_copy_of_claimed_file(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"same bytes")
    arrive(engine, "copy.png", b"same bytes")
    third = arrive(engine, "c.png", b"other bytes")

    queue.claim_next(engine, owner)
    claimed = queue.claim_next(engine, owner)

    assert claimed is not None
    assert claimed.id == third.id


def test_claim_skips_given_ids(engine: Engine, owner: Owner) -> None:
    first = arrive(engine, "a.png", b"a")
    second = arrive(engine, "b.png", b"b")

    claimed = queue.claim_next(engine, owner, skip=[first.id])

    assert claimed is not None
    assert claimed.id == second.id


def test_claim_none_when_idle(engine: Engine, owner: Owner) -> None:
    assert queue.claim_next(engine, owner) is None


def test_release_refund_returns_attempt(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"a")
    claimed = queue.claim_next(engine, owner)
    assert claimed is not None

    queue.release(engine, claimed.id, owner, refund=True)

    released = row(engine, claimed.id)
    assert released.state == queue.WAITING
    assert released.attempts == 0


def test_release_ignores_other_owner(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"a")
    claimed = queue.claim_next(engine, owner)
    assert claimed is not None

    queue.release(engine, claimed.id, Owner.current(), refund=True)

    assert row(engine, claimed.id).state == queue.CLAIMED


def test_find_original_finds_earlier_identical(
    engine: Engine, owner: Owner, tmp_path: Path
) -> None:
    first = arrive(engine, "a.png", b"bytes")
    finish(engine, first, queue.DONE, tmp_path / "1.png")
    copy = arrive(engine, "copy.png", b"bytes")

    original = queue.find_original(engine, copy)

    assert original is not None
    assert original.id == first.id


def test_find_original_ignores_empty_files(engine: Engine, tmp_path: Path) -> None:
    first = arrive(engine, "a.png", b"")
    finish(engine, first, queue.QUARANTINED, tmp_path / "q.png")
    second = arrive(engine, "b.png", b"")

    assert queue.find_original(engine, second) is None


# Crash points --------------------------------------------------------------


def test_kill_after_claim_releases_on_restart(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"a")
    claimed = queue.claim_next(engine, owner)
    assert claimed is not None

    released = queue.recover_claims(engine)  # what the next start does
    again = queue.claim_next(engine, Owner.current())

    assert released == [claimed.id]
    assert again is not None
    assert again.id == claimed.id
    assert again.attempts == 2


def test_kill_during_store_leaves_nothing(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"a")
    claimed = queue.claim_next(engine, owner)
    assert claimed is not None

    with pytest.raises(RuntimeError), engine.begin() as connection:
        store.save_source(
            connection,  # type: ignore[arg-type]
            store.SourceFile(path="a.png", sha256=sha(b"a"), size=1),
        )
        queue.mark_finished(connection, claimed.id, queue.DONE, None)
        raise RuntimeError("killed before the commit")

    with Session(engine) as session:
        assert session.exec(select(store.SourceFile)).all() == []
    assert row(engine, claimed.id).state == queue.CLAIMED


def test_store_and_finish_commit_together(engine: Engine, owner: Owner) -> None:
    arrive(engine, "a.png", b"a")
    claimed = queue.claim_next(engine, owner)
    assert claimed is not None

    with engine.begin() as connection:
        store.save_source(
            connection,  # type: ignore[arg-type]
            store.SourceFile(path="a.png", sha256=sha(b"a"), size=1),
        )
        source = queue.find_source_file(connection, sha(b"a"))
        assert source is not None
        queue.mark_finished(
            connection, claimed.id, queue.DONE, None, source_file_id=source.id
        )

    finished = row(engine, claimed.id)
    assert finished.state == queue.DONE
    assert finished.source_file_id == source.id


def test_kill_after_store_before_move(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "inbox" / "a.png"
    source.parent.mkdir()
    source.write_bytes(b"scan")
    entry = arrive(engine, "a.png", b"scan")
    target = queue.archive_path(tmp_path / "archive", entry)
    finish(engine, entry, queue.DONE, target)

    (pending,) = queue.pending_moves(engine)  # what the next start finds
    moved = queue.move_file(source, Path(pending.target_path or ""), pending.sha256)
    queue.mark_moved(engine, pending.id or 0)

    assert moved
    assert not source.exists()
    assert target.read_bytes() == b"scan"
    assert queue.pending_moves(engine) == []


def test_kill_after_move_before_mark(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    target = tmp_path / "archive" / "1.png"
    source.write_bytes(b"scan")
    assert queue.move_file(source, target, sha(b"scan"))

    assert queue.move_file(source, target, sha(b"scan"))  # run again after restart
    assert target.read_bytes() == b"scan"


def test_move_keeps_new_file_that_took_the_name(tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    target = tmp_path / "archive" / "1.png"
    source.write_bytes(b"first")
    queue.move_file(source, target, sha(b"first"))
    source.write_bytes(b"second, a new fax under the same name")

    assert queue.move_file(source, target, sha(b"first"))
    assert source.read_bytes() == b"second, a new fax under the same name"


def test_move_reports_lost_content(tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(b"replaced")

    assert not queue.move_file(source, tmp_path / "t.png", sha(b"original"))
    assert source.exists()


def test_move_rejects_target_with_other_content(tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    target = tmp_path / "t.png"
    source.write_bytes(b"mine")
    target.write_bytes(b"someone else's")

    with pytest.raises(FileExistsError):
        queue.move_file(source, target, sha(b"mine"))
    assert source.exists()


def test_move_across_filesystems(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on a filesystem other than the test folder")
    source = shm / f"intake-test-{os.getpid()}.png"
    source.write_bytes(b"scan on another filesystem")
    target = tmp_path / "archive" / "1.png"
    stale = target.with_name(".partial-1.png")
    target.parent.mkdir()
    stale.write_bytes(b"scan on")  # a copy cut short by a kill

    try:
        moved = queue.move_file(source, target, sha(b"scan on another filesystem"))
    finally:
        source.unlink(missing_ok=True)

    assert moved
    assert target.read_bytes() == b"scan on another filesystem"
    assert not stale.exists()


def test_archive_path_hides_file_name(engine: Engine, tmp_path: Path) -> None:
    entry = arrive(engine, "fax/Jane Doe release.PDF", b"pdf")

    path = queue.archive_path(tmp_path, entry)

    assert path.parent.parent == tmp_path
    assert path.name == f"{entry.id:06d}-{sha(b'pdf')[:12]}.pdf"


def test_archive_path_drops_odd_suffix(engine: Engine, tmp_path: Path) -> None:
    entry = arrive(engine, "scan.t f", b"x")

    assert queue.archive_path(tmp_path, entry).suffix == ""


# Archive path and older databases -------------------------------------------


def finish_processed(engine: Engine, name: str, state: str, target: Path) -> int:
    """Queue, store and finish a file as the watcher does, and return its queue id."""
    entry = arrive(engine, name, name.encode())
    assert entry.id is not None
    source = store.save_source(
        engine, store.SourceFile(path=name, sha256=entry.sha256, size=entry.size)
    )
    with engine.begin() as connection:
        queue.mark_finished(
            connection, entry.id, state, target, source_file_id=source.id
        )
    return entry.id


def source_of(engine: Engine, entry_id: int) -> store.SourceFile:
    with Session(engine) as session:
        found = session.get(store.SourceFile, row(engine, entry_id).source_file_id)
    assert found is not None
    return found


def test_moved_file_records_archive_path(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "archive" / "1.png"
    entry_id = finish_processed(engine, "fax/a.png", queue.DONE, target)
    before = source_of(engine, entry_id)

    queue.mark_moved(engine, entry_id)

    after = source_of(engine, entry_id)
    assert before.archive_path is None
    assert after.archive_path == str(target)
    assert after.path == "fax/a.png"


def test_unmoved_file_has_no_archive_path(engine: Engine, tmp_path: Path) -> None:
    entry_id = finish_processed(engine, "a.png", queue.DONE, tmp_path / "1.png")

    queue.mark_moved(engine, entry_id, moved=False)

    assert source_of(engine, entry_id).archive_path is None


def test_quarantined_file_has_no_archive_path(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "quarantine" / "a.png"
    entry_id = finish_processed(engine, "a.png", queue.QUARANTINED, target)

    queue.mark_moved(engine, entry_id)

    assert source_of(engine, entry_id).archive_path is None


def drop_new_columns(engine: Engine) -> None:
    """Remove the columns an older version of the tables did not have."""
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE sourcefile DROP COLUMN archive_path"))
        connection.execute(text("ALTER TABLE statuschange DROP COLUMN detail"))


def reopen_old_database(url: str) -> None:
    old = queue.open_queue(url)
    drop_new_columns(old)
    old.dispose()

    engine = queue.open_queue(url)
    columns = inspect(engine).get_columns("sourcefile")
    source = store.save_source(
        engine,
        store.SourceFile(path="a.png", sha256="0" * 64, size=1, archive_path="x"),
    )
    history = inspect(engine).get_columns("statuschange")
    engine.dispose()

    assert "archive_path" in [column["name"] for column in columns]
    assert "detail" in [column["name"] for column in history]
    assert source.archive_path == "x"


def test_open_adds_missing_columns(tmp_path: Path) -> None:
    reopen_old_database(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_open_adds_missing_columns_postgres(postgres_url: str) -> None:
    reopen_old_database(postgres_url)


def test_open_rejects_missing_required_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = queue.open_queue(url)
    with old.begin() as connection:
        connection.execute(text("ALTER TABLE sourcefile DROP COLUMN page_count"))
    old.dispose()

    with pytest.raises(ConfigError, match="sourcefile.page_count"):
        queue.open_queue(url)


# Lease -----------------------------------------------------------------------


def test_lease_rejects_second_live_watcher(engine: Engine, tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other = Owner(queue.socket.gethostname(), sleeper.pid, "other")
        queue.acquire_lease(engine, other, tmp_path)

        with pytest.raises(WatcherRunningError, match="another watcher"):
            queue.acquire_lease(engine, Owner.current(), tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lease_taken_over_from_dead_process(engine: Engine, tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    previous = Owner(queue.socket.gethostname(), int(dead.stdout), "dead")
    queue.acquire_lease(engine, previous, tmp_path)
    current = Owner.current()

    queue.acquire_lease(engine, current, tmp_path)

    assert queue.renew_lease(engine, current)
    assert not queue.renew_lease(engine, previous)


def test_lease_release_clears_status(
    engine: Engine, owner: Owner, tmp_path: Path
) -> None:
    queue.acquire_lease(engine, owner, tmp_path)
    assert queue.read_status(engine).lease is not None

    queue.release_lease(engine, owner)

    assert queue.read_status(engine).lease is None


# Status ------------------------------------------------------------------


def test_status_counts_states(engine: Engine, owner: Owner, tmp_path: Path) -> None:
    done = arrive(engine, "a.png", b"a")
    finish(engine, done, queue.DONE, tmp_path / "a.png")
    quarantined = arrive(engine, "b.png", b"b")
    finish(engine, quarantined, queue.QUARANTINED, tmp_path / "b.png")
    duplicate = arrive(engine, "c.png", b"a")
    finish(engine, duplicate, queue.DUPLICATE, tmp_path / "c.png")
    arrive(engine, "d.png", b"d")
    arrive(engine, "e.png", b"e")
    queue.claim_next(engine, owner)

    status = queue.read_status(engine)

    assert status.done == 1
    assert status.quarantined == 1
    assert status.duplicates == 1
    assert status.waiting == 1
    assert status.in_progress == 1
    assert status.not_moved == 3
    assert status.oldest_waiting is not None
