"""The quarantine folder: files that could not be processed, with a note.

Each quarantined file is stored as ``<sha256 prefix>-<name>`` beside a
``.reason.json`` note that gives the reason code, the message and the time.
The same bytes quarantined twice land on the same name, so a resent bad
file does not pile up copies.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

from intake.reasons import Reason

log = logging.getLogger(__name__)


def quarantine_file(
    path: Path,
    sha256: str,
    reason: Reason,
    message: str,
    folder: Path,
    *,
    move: bool = False,
) -> Path:
    """Copy (or move) ``path`` into ``folder`` and write its reason note.

    Returns the quarantined file's path. ``process`` copies, so that files
    a person points it at stay where they are; the watched inbox moves.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256[:12]}-{path.name}"
    if move:
        shutil.move(path, target)
    else:
        shutil.copyfile(path, target)
    note = {
        "file": path.name,
        "original_path": str(path),
        "sha256": sha256,
        "reason": str(reason),
        "message": message,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    note_path = target.with_name(target.name + ".reason.json")
    note_path.write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    log.warning("quarantined file sha256=%s reason=%s", sha256[:12], reason)
    return target
