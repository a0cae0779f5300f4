"""The ``intake watch`` and ``intake status`` subcommands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from intake import queue
from intake.queue import QueueStatus, WatcherRunningError
from intake.settings import POLLING_MODES, Settings
from intake.store import utcnow


def add_watch_commands(commands: Any) -> None:
    """Register ``watch`` and ``status`` on the argparse subparsers object."""
    watch = commands.add_parser(
        "watch",
        help="process every file dropped into a folder, once, until stopped",
    )
    watch.add_argument(
        "inbox",
        nargs="?",
        type=Path,
        metavar="INBOX",
        help="folder to watch, subfolders included (default: INTAKE_INBOX)",
    )
    watch.add_argument("--archive", type=Path, help="folder processed files go to")
    watch.add_argument(
        "--quarantine", type=Path, help="folder for files that cannot be processed"
    )
    watch.add_argument("--db", help="database URL (default: INTAKE_DATABASE_URL)")
    watch.add_argument(
        "--polling",
        choices=POLLING_MODES,
        help="auto: events where the folder delivers them, else polling "
        "(default: INTAKE_POLLING or auto)",
    )
    watch.add_argument(
        "--quiet-seconds",
        type=float,
        help="seconds a file must stay unchanged before it is read",
    )
    watch.add_argument(
        "--workers", type=int, help="files processed at once (default: one per core)"
    )
    watch.set_defaults(run=run_watch_command)

    status = commands.add_parser("status", help="show the watched inbox's queue")
    status.add_argument("--db", help="database URL (default: INTAKE_DATABASE_URL)")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(run=run_status_command)


def run_watch_command(args: argparse.Namespace) -> int:
    """Run the watcher with settings from the environment and ``args``."""
    from intake.watch import run_watch  # watchdog is needed only here

    settings = Settings.from_env(
        inbox=args.inbox,
        archive_dir=args.archive,
        quarantine_dir=args.quarantine,
        database_url=args.db,
        polling=args.polling,
        quiet_seconds=args.quiet_seconds,
        workers=args.workers,
    )
    # The watcher is a service, so its lifecycle lines are logged at INFO even
    # without -v.
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        return run_watch(settings, root.level)
    except WatcherRunningError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 2


def run_status_command(args: argparse.Namespace) -> int:
    """Print the queue counts, the oldest waiting file's age and the watcher."""
    settings = Settings.from_env(database_url=args.db)
    status = queue.read_status(queue.open_queue(settings.database_url))
    if args.json:
        print(json.dumps(status_record(status)))
    else:
        print(format_status(status))
    return 0


def status_record(status: QueueStatus) -> dict[str, Any]:
    """Return the status as a JSON-ready dict, with ages in seconds."""
    lease = status.lease
    return {
        "waiting": status.waiting,
        "in_progress": status.in_progress,
        "done": status.done,
        "duplicates": status.duplicates,
        "likely_duplicates": status.likely_duplicates,
        "quarantined": status.quarantined,
        "missing": status.missing,
        "not_moved": status.not_moved,
        "oldest_waiting_seconds": _age(status.oldest_waiting),
        "watcher": None
        if lease is None
        else {
            "host": lease.host,
            "pid": lease.pid,
            "inbox": lease.inbox,
            "renewed_seconds_ago": _age(lease.renewed_at),
        },
    }


def format_status(status: QueueStatus) -> str:
    """Return the status as the lines ``intake status`` prints."""
    record = status_record(status)
    rows = [
        ("waiting", status.waiting),
        ("in progress", status.in_progress),
        ("done", status.done),
        ("duplicates", status.duplicates),
        ("likely duplicates", status.likely_duplicates),
        ("quarantined", status.quarantined),
        ("missing", status.missing),
        ("not yet moved", status.not_moved),
    ]
    lines = [f"{label:<20}{count:>8}" for label, count in rows]
    oldest = record["oldest_waiting_seconds"]
    lines.append(
        f"{'oldest waiting':<20}{'-' if oldest is None else _format_age(oldest):>8}"
    )
    watcher = record["watcher"]
    if watcher is None:
        lines.append("watcher: not running")
    else:
        lines.append(
            f"watcher: pid {watcher['pid']} on {watcher['host']}, inbox "
            f"{watcher['inbox']}, renewed {watcher['renewed_seconds_ago']:.0f} s ago"
        )
    return "\n".join(lines)


def _age(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return round((utcnow() - moment).total_seconds(), 1)


def _format_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
