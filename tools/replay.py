"""Run the stages after OCR on cached pages and print one record per document.

Usage: ``tools/replay.py PAGES_DIR [NAME...] [--out FILE.jsonl]``. The
records have the output shape ``intake evaluate`` scores, plus ``_detail``
with every check's reading, confidence and evidence box.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from datetime import date
from pathlib import Path

from intake.output import document_record
from intake.pipeline import analyse_documents

TODAY = date(2026, 3, 16)
"""The day the corpora's truth was decided against (``--today`` of process)."""


def replay(pickled: Path) -> list[dict]:
    pages = pickle.loads(pickled.read_bytes())
    source = pickled.name.removesuffix(".pkl")
    records = []
    for document in analyse_documents(pages, TODAY):
        record = document_record(document, source)
        record["_detail"] = {
            name: [c.passed, c.confidence, c.detail, c.bbox, c.page]
            for name, c in document.checks.items()
        }
        records.append(record)
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages")
    parser.add_argument("names", nargs="*")
    parser.add_argument("--out")
    args = parser.parse_args()
    folder = Path(args.pages)
    picks = (
        [folder / f"{n}.pkl" for n in args.names]
        if args.names
        else sorted(folder.glob("*.pkl"))
    )
    lines = (
        json.dumps(record, default=str) + "\n"
        for pickled in picks
        for record in replay(pickled)
    )
    if args.out:
        with open(args.out, "w") as out:
            out.writelines(lines)
    else:
        sys.stdout.writelines(lines)


if __name__ == "__main__":
    main()
