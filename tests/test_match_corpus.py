"""Matching on the committed sample corpus and its decoy requests."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from intake import store
from intake.evaluate import load_truth
from intake.pipeline import RunContext, analyse_file, record_result
from intake.settings import Settings
from matchers.compare import describe_misreading
from matchers.evaluate import (
    check_blocking,
    run_corpus,
    truth_as_predictions,
    truth_request_ids,
)
from matchers.match import MAX_STORED_CANDIDATES as MAX_CANDIDATES
from matchers.match import add_requests, thresholds_from
from matchers.request_files import read_requests
from matchers.requests import build_row, open_requests, request_facts
from matchers.score import DocumentFacts, RequestFacts, choose_band, rank_requests

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


def corpus_requests(today: date) -> list[RequestFacts]:
    engine = store.open_database("sqlite://")
    with Session(engine) as session:
        for request in read_requests(CORPUS / "requests.csv", today).requests:
            session.add(build_row(request, "import"))
        session.commit()
        return [request_facts(row) for row in open_requests(session)]


def other_birth_date(text: str) -> str:
    """Return a birth date no common misreading relates to ``text``."""
    born = date.fromisoformat(text)
    other = date(born.year - 7, born.month % 12 + 1, min(born.day, 28))
    assert describe_misreading(other, born) is None
    return other.isoformat()


def century_misread(text: str) -> str:
    born = date.fromisoformat(text)
    return born.replace(
        year=born.year + (100 if born.year < 1950 else -100)
    ).isoformat()


def garble_longest_word(name: str) -> str:
    words = name.split()
    longest = max(range(len(words)), key=lambda index: len(words[index]))
    words[longest] = "Zqxv"
    return " ".join(words)


def exam_disagrees(fields: dict[str, str]) -> dict[str, str]:
    """Make every exam and requester field disagree with the request."""
    changed = dict(fields)
    if "exam_date" in fields:
        exam = date.fromisoformat(fields["exam_date"]) - timedelta(days=200)
        changed["exam_date"] = exam.isoformat()
    description = (fields.get("exam_description") or "").lower()
    knee_or_mr = "knee" in description or "mr" in description
    changed["exam_description"] = "CT head" if knee_or_mr else "MRI left knee"
    for name in ("physician_name", "release_to_name"):
        if name in fields:
            changed[name] = "Zed Quorra"
    changed.pop("physician_fax", None)
    return changed


MISREADINGS = {
    "right name, other birth date": lambda f: exam_disagrees(f)
    | {"date_of_birth": other_birth_date(f["date_of_birth"])},
    "right birth date, name unread": lambda f: exam_disagrees(f)
    | {"patient_name": "Xqz Vwkk"},
    "partly read name, misread birth date": lambda f: exam_disagrees(f)
    | {
        "patient_name": garble_longest_word(f["patient_name"]),
        "date_of_birth": century_misread(f["date_of_birth"]),
    },
    "right name, no birth date": lambda f: {
        k: v for k, v in f.items() if k not in ("date_of_birth", "mrn")
    },
}  # fmt: skip


@pytest.mark.parametrize("misreading", sorted(MISREADINGS))
def test_misread_documents_reach_review_with_right_request(misreading: str) -> None:
    # The corpus's documents with one or two identifiers misread, and every
    # exam field disagreeing: none may be attached to a wrong request, and
    # the right request must be among the stored candidates.
    facts = manifest()
    today = date.fromisoformat(facts["as_of"])
    requests = corpus_requests(today)
    thresholds = thresholds_from(Settings())
    change = MISREADINGS[misreading]
    tried, wrong, absent = 0, [], []
    for name, records in sorted(load_truth(CORPUS).items()):
        for record in records:
            fields = {k: v for k, v in (record.get("fields") or {}).items() if v}
            truth = record.get("request_id")
            if not truth or not {"patient_name", "date_of_birth"} <= set(fields):
                continue
            tried += 1
            document = DocumentFacts("doc", record["doc_type"], change(fields))
            decision = choose_band(rank_requests(document, requests), thresholds)
            listed = [c.request_id for c in decision.candidates[:MAX_CANDIDATES]]
            label = f"{name} pages {record['pages']}"
            if decision.band == "auto" and decision.attached_request_id != truth:
                wrong.append(label)
            elif decision.band != "auto" and truth not in listed:
                absent.append(label)
    assert tried > 50
    assert wrong == []
    assert absent == []


def test_blocking_keeps_every_candidate_of_the_corpus() -> None:
    facts = manifest()
    today = date.fromisoformat(facts["as_of"])
    check = check_blocking(
        truth_as_predictions(CORPUS), CORPUS, today, thresholds_from(Settings())
    )
    assert check.candidate_pairs > 100
    assert check.missed == []
    assert check.scored_pairs < check.documents * check.requests / 4
