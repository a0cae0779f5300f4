"""Find the files to process under the paths given on the command line."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

JUNK_PATTERNS = (
    ".*",
    "~$*",
    "*.part",
    "*.filepart",
    "*.tmp",
    "Thumbs.db",
    "desktop.ini",
)
"""Names that desktops, file servers and partial transfers leave behind."""

SIDECAR_SUFFIXES = (".json", ".jsonl", ".csv", ".md", ".txt", ".log")
"""Data files (ground truth, manifests, notes) kept beside documents."""


def is_ignored(path: Path) -> bool:
    """Return True for junk and sidecar names that are never documents."""
    name = path.name
    # Windows and SMB shares write these names in any case (THUMBS.DB).
    folded = name.casefold()
    if any(fnmatch.fnmatchcase(folded, p.casefold()) for p in JUNK_PATTERNS):
        return True
    return path.suffix.lower() in SIDECAR_SUFFIXES


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Expand folders recursively; return (files to process, files skipped).

    A file named directly is always processed, whatever its name. Inside a
    folder, junk and sidecar names are skipped and returned separately so
    the caller can report them.
    """
    selected: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            selected.append(path)
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file():
                continue
            relative = child.relative_to(path)
            if any(is_ignored(Path(part)) for part in relative.parts[:-1]):
                skipped.append(child)
            elif is_ignored(child):
                skipped.append(child)
            else:
                selected.append(child)
    return selected, skipped
