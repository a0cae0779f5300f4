"""Score pipeline output against the generator's ground truth.

Truth files are ``NAME.truth.jsonl`` beside each source file (see
docs/samples.md); predictions are the JSON Lines that ``intake process``
writes. Documents are paired by source file name and page list.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.errors import ConfigError
from matchers.names import fold

SCORED_FIELDS = ("patient_name", "date_of_birth", "exam_date")
TARGETS = {
    "doc_type": 0.97,
    "split": 0.95,
    "signed": 0.97,
    "xray_box": 0.97,
    "patient_name": 0.90,
    "date_of_birth": 0.90,
    "exam_date": 0.90,
}


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, correct: bool) -> None:
        self.total += 1
        self.right += int(correct)

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass
class Scores:
    tallies: dict[str, Tally] = field(default_factory=dict)
    status_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    accepted_wrong_type: list[str] = field(default_factory=list)
    accepted_not_acceptable: list[str] = field(default_factory=list)
    missing_sources: list[str] = field(default_factory=list)

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())

    def failures(self) -> list[str]:
        """Return the targets this run missed, as readable lines."""
        missed = []
        for name, target in TARGETS.items():
            rate = self.tally(name).rate
            if rate is not None and rate < target:
                missed.append(f"{name}: {rate:.1%} is under the target {target:.0%}")
        if self.accepted_wrong_type:
            missed.append(
                f"{len(self.accepted_wrong_type)} documents accepted with a wrong type"
            )
        return missed


def load_truth(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Map each source file name to its true documents."""
    truth: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.rglob("*.truth.jsonl")):
        name = path.name.removesuffix(".truth.jsonl")
        truth[name] = _read_jsonl(path)
    if not truth:
        raise ConfigError(
            f"{folder}: no *.truth.jsonl files found; point --truth at a corpus "
            f"made by `python -m samples.generate`"
        )
    return truth


def load_predictions(path: Path) -> dict[str, list[dict[str, Any]]]:
    predictions: dict[str, list[dict[str, Any]]] = {}
    for record in _read_jsonl(path):
        predictions.setdefault(Path(record["source"]).name, []).append(record)
    return predictions


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read one JSON object per line.

    Raises:
        ConfigError: The file is missing or a line is not JSON.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from error
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{path}, line {number}: invalid JSON ({error.msg}); pass the "
                "JSON Lines file that `intake process --out` wrote"
            ) from error
    return records


def score(
    truth: dict[str, list[dict[str, Any]]],
    predictions: dict[str, list[dict[str, Any]]],
) -> Scores:
    """Compare every true document with the prediction for the same pages."""
    scores = Scores()
    for name, true_documents in truth.items():
        predicted = predictions.get(name)
        if predicted is None:
            scores.missing_sources.append(name)
            predicted = []
        by_pages = {tuple(p["pages"]): p for p in predicted}
        for true_doc in true_documents:
            _score_document(scores, name, true_doc, by_pages, predicted)
        _score_accepted(scores, name, true_documents, predicted)
    return scores


def _score_document(
    scores: Scores,
    name: str,
    true_doc: dict[str, Any],
    by_pages: dict[tuple[int, ...], dict[str, Any]],
    predicted: list[dict[str, Any]],
) -> None:
    pages = tuple(true_doc["pages"])
    exact = by_pages.get(pages)
    scores.tally("split").add(exact is not None)
    covering = exact or _covering(predicted, pages[0])
    scores.tally("doc_type").add(
        covering is not None and covering["doc_type"] == true_doc["doc_type"]
    )
    if exact is None:
        return

    scores.status_pairs[(true_doc.get("status", "?"), exact["status"])] += 1
    true_checks = true_doc.get("checks") or {}
    for key, tally in (("signed", "signed"), ("xray_scan_reports_checked", "xray_box")):
        if true_checks.get(key) is not None:
            scores.tally(tally).add(exact["checks"].get(key) == true_checks[key])
    for key in SCORED_FIELDS:
        expected = (true_doc.get("fields") or {}).get(key)
        if expected:
            got = exact["fields"].get(key)
            scores.tally(key).add(_same_value(got, expected))


def _covering(predicted: list[dict[str, Any]], page: int) -> dict[str, Any] | None:
    for record in predicted:
        if page in record["pages"]:
            return record
    return None


def _score_accepted(
    scores: Scores,
    name: str,
    true_documents: list[dict[str, Any]],
    predicted: list[dict[str, Any]],
) -> None:
    truth_by_pages = {tuple(t["pages"]): t for t in true_documents}
    for record in predicted:
        if record["status"] != "accepted":
            continue
        true_doc = truth_by_pages.get(tuple(record["pages"]))
        label = f"{name} pages {record['pages']}"
        if true_doc is None or true_doc["doc_type"] != record["doc_type"]:
            scores.accepted_wrong_type.append(label)
        elif true_doc.get("status") != "accepted":
            scores.accepted_not_acceptable.append(label)


def _same_value(got: str | None, expected: str) -> bool:
    if got is None:
        return False
    return _normalize(got) == _normalize(expected)


def _normalize(text: str) -> str:
    """Fold case, accents and punctuation the way the matcher does.

    Letters that Unicode does not decompose (ø, ß) fold too, so "Bjorn"
    counts as a right reading of "Bjørn": staff and the matcher treat them
    as the same name. Apostrophes are dropped ("OBrien") and other marks
    part words, so "Anne Marie" is a right reading of "Anne-Marie".
    """
    folded = fold(text).replace("'", "").replace("’", "")
    letters = [c if c.isalnum() else " " for c in folded]
    return " ".join("".join(letters).split())


def format_report(scores: Scores) -> str:
    """Render the scores as a plain-text table."""
    lines = [f"{'measure':<16}{'right':>7}{'total':>7}{'rate':>9}{'target':>8}"]
    for name in TARGETS:
        tally = scores.tally(name)
        rate = "-" if tally.rate is None else f"{tally.rate:.1%}"
        lines.append(
            f"{name:<16}{tally.right:>7}{tally.total:>7}{rate:>9}{TARGETS[name]:>8.0%}"
        )
    lines.append("")
    lines.append("status (truth -> predicted):")
    for (truth, got), count in sorted(scores.status_pairs.items()):
        lines.append(f"  {truth:<13} -> {got:<13} {count:>5}")
    lines.append(f"accepted with a wrong type: {len(scores.accepted_wrong_type)}")
    lines.extend(f"  {label}" for label in scores.accepted_wrong_type)
    lines.append(f"accepted but not acceptable: {len(scores.accepted_not_acceptable)}")
    lines.extend(f"  {label}" for label in scores.accepted_not_acceptable)
    if scores.missing_sources:
        lines.append(f"sources with no prediction: {len(scores.missing_sources)}")
    return "\n".join(lines)
