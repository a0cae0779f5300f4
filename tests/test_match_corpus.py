"""Matching on the committed sample corpus and its decoy requests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from intake import store
from intake.pipeline import RunContext, analyse_file, record_result
from intake.settings import Settings
from matchers.evaluate import run_corpus, truth_as_predictions, truth_request_ids
from matchers.match import add_requests, thresholds_from
from matchers.request_files import read_requests

CORPUS = Path(__file__).resolve().parents[1] / "samples" / "corpus"
MAX_OCR_FILES = 4


def manifest() -> dict[str, Any]:
    path = CORPUS / "manifest.json"
    if not path.exists() or not (CORPUS / "requests.csv").exists():
        pytest.skip(f"{CORPUS} has no corpus yet: run `make samples`")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_corpus_truth_fields_attach_no_wrong_request() -> None:
    facts = manifest()
    today = date.fromisoformat(facts["as_of"])
    result = run_corpus(
        truth_as_predictions(CORPUS), CORPUS, today, thresholds_from(Settings()),
        "sqlite://",
    )  # fmt: skip
    counts = result.counts()
    assert counts["wrong_attachment"] == 0
    assert counts["review_right_absent"] == 0
    assert result.auto_rate() >= 0.85

    decoys = {decoy["request_id"] for decoy in facts["decoy_requests"]}
    misattached = [
        o.label
        for o in result.outcomes
        if o.attached in decoys and o.attached != o.truth
    ]
    assert misattached == []


def decoy_files(facts: dict[str, Any]) -> list[str]:
    """Return the files of the patients that decoys or name variants resemble."""
    resembled = {decoy["resembles"] for decoy in facts["decoy_requests"]}
    resembled |= {variant["request_id"] for variant in facts.get("name_variants", [])}
    files: list[str] = []
    for (name, _), request_id in sorted(truth_request_ids(CORPUS).items()):
        if request_id in resembled and name not in files:
            files.append(name)
    return files[:MAX_OCR_FILES]


@pytest.mark.slow
def test_decoy_files_through_ocr_attach_no_wrong_request(tmp_path: Path) -> None:
    facts = manifest()
    today = date.fromisoformat(facts["as_of"])
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ocr.db'}",
        quarantine_dir=tmp_path / "quarantine",
        workers=1,
    )
    engine = store.open_database(settings.database_url)
    add_requests(
        engine,
        read_requests(CORPUS / "requests.csv", today),
        today,
        thresholds_from(settings),
        "import",
    )
    context = RunContext(settings=settings, engine=engine, today=today)
    truth = truth_request_ids(CORPUS)
    files = decoy_files(facts)
    assert files

    outcomes = []
    for name in files:
        records = record_result(analyse_file(CORPUS / name, settings, today), context)
        outcomes += [(name, record) for record in records]

    with Session(engine) as session:
        attached = dict(session.exec(
            select(store.DocumentRecord.id, store.DocumentRecord.match_request_id)
        ).all())  # fmt: skip
    for name, record in outcomes:
        request_id = attached.get(record["document_id"])
        expected = truth.get((name, tuple(record["pages"])))
        if request_id is not None:
            assert request_id == expected, f"{name} pages {record['pages']}"
