"""Score every "information to be released" box against the corpus truth.

Usage: ``tools/boxes.py PAGES_DIR CORPUS_DIR [--all]``. For each
third-party form the split finds with the same pages as in the truth, every
box found on the page is measured and judged, and compared with the truth's
ticked options. Prints each miss, then right / wrong / unsure counts for all
boxes and for the x-ray box alone. ``--all`` prints every box.
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter
from pathlib import Path

from classifiers.checks import judge_box, measure_checklist_box
from classifiers.extract import form_regions
from classifiers.split import split_documents

OPTION_ALIASES = {"xray": "xray_scan_reports"}
FORMS = Path(__file__).resolve().parent.parent / "intake" / "forms"


def _options_by_id() -> dict[str, dict[str, str]]:
    options = {}
    for layout in FORMS.glob("*.json"):
        data = json.loads(layout.read_text())
        options[layout.stem] = {
            e["id"]: e["option"] for e in data["elements"] if e.get("option")
        }
    return options


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages")
    parser.add_argument("corpus")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    options = _options_by_id()
    tally: Counter[str] = Counter()
    xray: Counter[str] = Counter()
    for pickled in sorted(Path(args.pages).glob("*.pkl")):
        source = pickled.name.removesuffix(".pkl")
        truth_file = Path(args.corpus) / f"{source}.truth.jsonl"
        truths = {
            tuple(t["pages"]): t
            for t in map(json.loads, truth_file.read_text().splitlines())
            if t["doc_type"] == "third_party_release"
        }
        if not truths:
            continue
        for document in split_documents(pickle.loads(pickled.read_bytes())):
            truth = truths.get(tuple(p.number for p in document.pages))
            if truth is None:
                continue
            located = form_regions(document)
            if located is None:
                continue
            page, regions = located
            ids = options.get(truth.get("edition") or "", {})
            ticked = {ids.get(i, i) for i in truth["notes"].get("checked", [])}
            for found in regions.information_boxes:
                if found.box is None or found.option == "information":
                    continue
                mark = measure_checklist_box(page, regions, found)
                passed, confidence = judge_box(mark)
                # Boxes found by their label name the x-ray option "xray".
                option = OPTION_ALIASES.get(found.option, found.option)
                expected = option in ticked
                verdict = (
                    "unsure"
                    if passed is None
                    else "right"
                    if passed == expected
                    else "wrong"
                )
                tally[verdict] += 1
                if option == "xray_scan_reports":
                    xray[verdict] += 1
                if verdict != "right" or args.all:
                    print(
                        f"{verdict:6} {source} p{page.number} {option}"
                        f" truth={expected} got={passed}@{confidence}"
                        f" fill={mark.fill:.3f} out={mark.outside:.3f}"
                        f" around={mark.surround} stroke={mark.stroke} box={found.box}"
                    )
    print("all boxes", dict(tally))
    print("x-ray box", dict(xray))


if __name__ == "__main__":
    main()
