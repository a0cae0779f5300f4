"""Speed and memory of the pipeline, printed as Markdown for docs/benchmarks.md.

Run with ``make bench``. It times OCR of single pages (a fax page and a
300 dpi scanned page, with one and two workers) and the whole pipeline over
the committed sample corpus, and reports the peak resident memory of the
process and of its workers. Nothing here asserts on time: the figures are
recorded by hand in docs/benchmarks.md with the machine they came from.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from intake.settings import Settings
from ocr.reader import read_file

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "samples" / "corpus"


def time_read(path: Path, settings: Settings, repeats: int = 2) -> tuple[float, int]:
    """Return the best seconds per page over ``repeats`` reads of ``path``."""
    best = float("inf")
    pages = 0
    for _ in range(repeats):
        start = time.perf_counter()
        pages = len(read_file(path, settings))
        best = min(best, (time.perf_counter() - start) / pages)
    return best, pages


def pick(pattern: str) -> Path | None:
    matches = sorted(CORPUS.glob(pattern))
    return matches[0] if matches else None


def bench_pages(settings: Settings) -> list[str]:
    rows = ["| input | pages | workers | s/page |", "|---|---|---|---|"]
    for label, path in (("fax TIFF", pick("fax-*.tif")), ("scanned PDF", pick("scan-*.pdf"))):
        if path is None:
            continue
        for workers in (1, 2):
            seconds, pages = time_read(path, replace(settings, workers=workers))
            rows.append(f"| {label} ({path.name}) | {pages} | {workers} | {seconds:.2f} |")
    return rows


def bench_corpus() -> list[str]:
    """Time `intake process` on the whole corpus in a child process."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable, "-m", "intake.cli", "process", str(CORPUS),
                "--out", f"{folder}/out.jsonl", "--db", f"sqlite:///{folder}/i.db",
                "--quarantine", f"{folder}/q",
            ],
            capture_output=True, text=True, check=True,
        )
        elapsed = time.perf_counter() - start
        documents = sum(1 for _ in open(f"{folder}/out.jsonl"))
    files = sum(1 for p in CORPUS.iterdir() if p.suffix in (".tif", ".pdf", ".png", ".jpg"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    del result
    return [
        "| corpus files | documents | seconds | files/min | peak worker RSS (MB) |",
        "|---|---|---|---|---|",
        f"| {files} | {documents} | {elapsed:.0f} | {files / elapsed * 60:.1f} | {children:.0f} |",
    ]


def main() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = Settings.from_env()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {date.today()}")
    print()
    print("\n".join(bench_pages(settings)))
    print()
    print("\n".join(bench_corpus()))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the benchmark process: {own:.0f} MB")


if __name__ == "__main__":
    main()
