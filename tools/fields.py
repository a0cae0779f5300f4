"""List the documents whose field reading differs from the corpus truth.

Usage: ``tools/fields.py CORPUS_DIR PRED.jsonl [FIELD...]``; the default
fields are the three ``intake evaluate`` scores against a target. Each
line gives the file, pages, document type, the truth and the reading.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from intake.evaluate import _same_value

DEFAULT_FIELDS = ("patient_name", "date_of_birth", "exam_date")


def main() -> None:
    corpus, predicted = Path(sys.argv[1]), Path(sys.argv[2])
    names = sys.argv[3:] or DEFAULT_FIELDS
    by_key = {}
    for line in predicted.read_text().splitlines():
        record = json.loads(line)
        by_key[(record["source"].rsplit("/", 1)[-1], tuple(record["pages"]))] = record
    for truth_file in sorted(corpus.glob("*.truth.jsonl")):
        for line in truth_file.read_text().splitlines():
            truth = json.loads(line)
            record = by_key.get((truth["source"], tuple(truth["pages"])))
            for name in names:
                expected = (truth.get("fields") or {}).get(name)
                if not expected:
                    continue
                got = record["fields"].get(name) if record else None
                if not _same_value(got, expected):
                    print(
                        f"{name:14} {truth['source']} {truth['pages']}"
                        f" {truth['doc_type']}: {expected!r} -> {got!r}"
                    )


if __name__ == "__main__":
    main()
