"""The ``intake`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from intake import evaluate, store
from intake.cli_requests import add_request_commands
from intake.cli_watch import add_watch_commands
from intake.discover import find_files
from intake.errors import ConfigError
from intake.pipeline import FileResult, RunContext, analyse_file, record_result
from intake.settings import Settings

PROGRESS_EVERY = 10
"""Files between two progress lines when standard error is not a terminal."""

log = logging.getLogger("intake")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except ConfigError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake",
        description="Read faxed and scanned release documents for the "
        "Image Service Center.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each document at INFO"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    process = commands.add_parser(
        "process", help="process files and folders, print one JSON line per document"
    )
    process.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    process.add_argument(
        "--out", type=Path, help="write JSON Lines to FILE instead of stdout"
    )
    process.add_argument(
        "--db",
        help="database URL (default: INTAKE_DATABASE_URL or sqlite:///var/intake.db)",
    )
    process.add_argument(
        "--quarantine", type=Path, help="folder for files that cannot be processed"
    )
    process.add_argument(
        "--workers", type=int, help="processes for OCR (default: one per core)"
    )
    process.add_argument(
        "--today",
        type=date.fromisoformat,
        help="judge signature and expiry dates as of this day (YYYY-MM-DD); "
        "default: the current date",
    )
    process.set_defaults(run=run_process)

    scorer = commands.add_parser(
        "evaluate", help="score a JSON Lines output against ground truth"
    )
    scorer.add_argument("predictions", type=Path, metavar="PRED.jsonl")
    scorer.add_argument(
        "--truth", type=Path, required=True, help="folder with *.truth.jsonl files"
    )
    scorer.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a target is missed",
    )
    scorer.set_defaults(run=run_evaluate)
    add_watch_commands(commands)
    add_request_commands(commands)
    return parser


def run_process(args: argparse.Namespace) -> int:
    settings = Settings.from_env(
        database_url=args.db, quarantine_dir=args.quarantine, workers=args.workers
    )
    files, skipped = find_files(args.paths)
    missing = [path for path in files if not path.exists()]
    if missing:
        for path in missing:
            print(
                f"intake: {path}: no such file or folder; check the path",
                file=sys.stderr,
            )
        return 2

    context = RunContext(
        settings=settings,
        engine=_open_database(settings.database_url),
        today=args.today or date.today(),
    )
    out = _open_output(args.out)
    summary: Counter[tuple[str, str]] = Counter()
    try:
        for result in _analyse_all(files, context):
            for record in record_result(result, context):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                summary[(record["doc_type"] or "-", record["status"])] += 1
                if record["status"] == "quarantined":
                    print(f"intake: quarantined {record['message']}", file=sys.stderr)
    finally:
        if out is not sys.stdout:
            out.close()

    _print_summary(summary, len(files), skipped, args.out, settings)
    return 0


def _open_database(url: str) -> Engine:
    """Open the database, or raise ConfigError naming the URL's fault."""
    try:
        return store.open_database(url)
    except (SQLAlchemyError, OSError) as error:
        # The URL may carry a password, so only its scheme is repeated.
        scheme = url.split(":", 1)[0]
        raise ConfigError(
            f"the database ({scheme} URL from --db or INTAKE_DATABASE_URL) "
            f"cannot be opened: {type(error).__name__}; check the URL and that "
            "the server is running"
        ) from error


def _open_output(path: Path | None) -> TextIO:
    if path is None:
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"--out {path}: cannot be written ({error.strerror}); "
            "check that its folder exists"
        ) from error


def _analyse_all(files: list[Path], context: RunContext) -> Iterator[FileResult]:
    """Analyse files in order, in parallel across files when there are many.

    With several files, each worker process takes whole files and reads
    their pages one at a time. A single file has its pages spread over the
    workers instead.
    """
    progress = _Progress(len(files))
    workers = context.settings.worker_count
    if len(files) < 2 or workers < 2:
        for path in files:
            yield analyse_file(path, context.settings, context.today)
            progress.update()
        progress.close()
        return

    per_file = replace(context.settings, workers=1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(analyse_file, path, per_file, context.today) for path in files
        ]
        for future in futures:
            yield future.result()
            progress.update()
    progress.close()


class _Progress:
    """A progress bar on a terminal, else a line every ``PROGRESS_EVERY`` files."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.bar = None
        if sys.stderr.isatty():
            # tqdm draws nothing on a terminal that reports no size (a
            # pseudo-terminal of a script), so the size falls back to 80x24.
            size = shutil.get_terminal_size((80, 24))
            self.bar = tqdm(
                total=total,
                unit="file",
                ncols=size.columns,
                nrows=size.lines,
                file=sys.stderr,
            )

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update()
        elif self.done % PROGRESS_EVERY == 0 and self.done < self.total:
            print(
                f"{self.done} of {self.total} files done", file=sys.stderr, flush=True
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_summary(
    summary: Counter[tuple[str, str]],
    file_count: int,
    skipped: list[Path],
    out: Path | None,
    settings: Settings,
) -> None:
    statuses = ["accepted", "needs_review", "rejected", "quarantined"]
    types = sorted({doc_type for doc_type, _ in summary})
    err = sys.stderr
    documents = sum(summary.values())
    print(f"\n{_count(file_count, 'file')}, {_count(documents, 'document')}", file=err)
    header = f"{'document type':<22}" + "".join(f"{s:>14}" for s in statuses)
    print(header, file=err)
    for doc_type in types:
        row = "".join(f"{summary[(doc_type, s)]:>14}" for s in statuses)
        print(f"{doc_type:<22}{row}", file=err)
    if skipped:
        print(f"skipped {len(skipped)} files that are not documents", file=err)
    print(f"results: {out or 'standard output'}", file=err)
    print(f"database: {settings.database_url}", file=err)
    print(f"quarantine: {settings.quarantine_dir}", file=err)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run_evaluate(args: argparse.Namespace) -> int:
    truth = evaluate.load_truth(args.truth)
    predictions = evaluate.load_predictions(args.predictions)
    scores = evaluate.score(truth, predictions)
    print(evaluate.format_report(scores))
    missed = scores.failures()
    for line in missed:
        print(f"missed: {line}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
