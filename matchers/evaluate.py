"""Measure matching on a labelled corpus and derive the band thresholds.

Usage::

    python -m matchers.evaluate PRED.jsonl --corpus samples/corpus
    python -m matchers.evaluate --truth-fields --corpus samples/corpus

The first form matches the documents of an ``intake process`` output, with
their fields as OCR read them. ``--truth-fields`` matches the ground-truth
documents instead, so it measures the matcher alone. Either way the
corpus's ``requests.csv`` is imported into a fresh SQLite database and
every document is stored and matched in file order through the same code
as the pipeline (``matchers.match``), then compared with the ``request_id``
of its truth record.

Threshold derivation (``derive_thresholds``): every document is also
scored against the requests with its own request left out. That ranking is
the one the matcher computes when a document arrives before its request,
or belongs to a patient without one. Each such best candidate is a wrong candidate. For
each margin on a grid, the lowest automatic score that keeps every wrong
candidate (with that margin and a confirmed identity) out of ``auto`` is
the highest such score plus one; a safety margin is then added to both.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from intake import store
from intake.evaluate import load_predictions, load_truth
from intake.pipeline import FileResult, RunContext, record_result
from intake.settings import Settings
from intake.types import Check, Document, FieldValue
from matchers.blocking import blocked_requests, store_request_keys
from matchers.match import add_requests, thresholds_from
from matchers.models import DocumentMatch, MatchCandidate
from matchers.request_files import read_requests
from matchers.requests import build_row, open_requests, request_facts
from matchers.score import (
    FIELD_PROBABILITIES,
    DocumentFacts,
    PairScore,
    Thresholds,
    choose_band,
    level_weight,
    rank_requests,
)

SCORE_SAFETY = 4.0
"""Added to the lowest safe automatic score: a 16-fold likelihood ratio."""
MARGIN_SAFETY = 2.0
"""Added to the margin the lowest safe score was found with."""
MARGIN_GRID = tuple(float(m) for m in range(2, 11))
"""Margins tried. Past 2**10 to 1 a margin stops telling plausible candidates
apart and only sends clear cases, such as a twin's request, to review."""
REVIEW_SCORE_CAP = 8.0
ESTIMATED_FIELDS = tuple(name for name in FIELD_PROBABILITIES if name != "same_file")
"""Fields whose m and u the labelled pairs can show; the rankings scored here
carry no file context, so ``same_file`` never agrees in them."""


@dataclass
class Outcome:
    """One document's match next to its truth."""

    label: str
    doc_type: str
    truth: str | None
    band: str
    attached: str | None
    candidates: list[str]
    attached_by: str | None = None

    @property
    def kind(self) -> str:
        """The confusion cell of this outcome (see ``OUTCOME_KINDS``)."""
        if self.attached is not None:
            if self.truth is None:
                return (
                    "new_request"
                    if self.attached_by == "letter"
                    else "wrong_attachment"
                )
            if self.attached == self.truth:
                return "auto_right"
            return "new_request" if self.attached_by == "letter" else "wrong_attachment"
        if self.truth is None:
            return "review_no_request" if self.band == "review" else "none_no_request"
        if self.band == "review":
            return (
                "review_right_listed"
                if self.truth in self.candidates
                else "review_right_absent"
            )
        return "missed"


OUTCOME_KINDS = (
    "auto_right", "wrong_attachment", "new_request", "review_right_listed",
    "review_right_absent", "missed", "review_no_request", "none_no_request",
)  # fmt: skip


@dataclass
class CorpusResult:
    """Every outcome of one evaluation run, with the thresholds used."""

    thresholds: Thresholds
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Return the number of documents in each confusion cell."""
        return Counter(outcome.kind for outcome in self.outcomes)

    @property
    def with_request(self) -> list[Outcome]:
        """Outcomes of documents that have a request in the truth."""
        return [o for o in self.outcomes if o.truth is not None]

    def auto_rate(self) -> float:
        """Share of documents with a request that were attached to it automatically."""
        docs = self.with_request
        return sum(o.kind == "auto_right" for o in docs) / len(docs) if docs else 0.0


def truth_as_predictions(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    """Return the truth records in the shape of pipeline output, by file name."""
    truth = load_truth(corpus)
    predictions: dict[str, list[dict[str, Any]]] = {}
    for name, records in truth.items():
        predictions[name] = [
            {
                "source": name,
                "pages": record["pages"],
                "doc_type": record["doc_type"],
                "fields": record.get("fields") or {},
                "checks": record.get("checks") or {},
                "status": record.get("status", "needs_review"),
                "reasons": record.get("reasons") or [],
            }
            for record in records
        ]
    return predictions


def truth_request_ids(corpus: Path) -> dict[tuple[str, tuple[int, ...]], str | None]:
    """Map (file name, pages) of every true document to its request id."""
    ids = {}
    for name, records in load_truth(corpus).items():
        for record in records:
            ids[(name, tuple(record["pages"]))] = record.get("request_id")
    return ids


def _truth_for(
    ids: dict[tuple[str, tuple[int, ...]], str | None], name: str, pages: list[int]
) -> str | None:
    exact = (name, tuple(pages))
    if exact in ids:
        return ids[exact]
    # A document split differently from the truth: use the true document
    # that shares the most pages with it.
    best, shared = None, 0
    for (source, true_pages), request_id in ids.items():
        overlap = len(set(true_pages) & set(pages)) if source == name else 0
        if overlap > shared:
            best, shared = request_id, overlap
    return best


def _document_from(record: dict[str, Any], number: int) -> Document:
    document = Document(source=Path(record["source"]), pages=[])
    document.doc_id = record.get("document_id") or f"eval{number:012d}"
    document.doc_type = record.get("doc_type") or "other"
    document.status = record.get("status") or "needs_review"
    document.reasons = list(record.get("reasons") or [])
    document.fields = {
        name: FieldValue(value, 1.0)
        for name, value in (record.get("fields") or {}).items()
        if value is not None
    }
    checks = record.get("checks") or {}
    for name in ("signed", "xray_scan_reports_checked"):
        if checks.get(name) is not None:
            document.checks[name] = Check(name, bool(checks[name]), 1.0)
    if checks.get("signature_date"):
        document.checks["signature_date"] = Check(
            "signature_date", True, 1.0, value=checks["signature_date"]
        )
    return document


def run_corpus(
    predictions: dict[str, list[dict[str, Any]]],
    corpus: Path,
    today: date,
    thresholds: Thresholds,
    database_url: str,
) -> CorpusResult:
    """Import the corpus's requests, then store and match every file's documents.

    Each file goes through ``intake.pipeline.record_result``, as after OCR.
    """
    settings = replace(
        Settings(),
        database_url=database_url,
        match_auto_score=thresholds.auto_score,
        match_review_score=thresholds.review_score,
        match_margin=thresholds.margin,
    )
    engine = store.open_database(database_url)
    add_requests(engine, read_requests(corpus / "requests.csv", today), today,
                 thresholds, "import")  # fmt: skip
    context = RunContext(settings=settings, engine=engine, today=today)
    labels: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in sorted(predictions):
        kept = [r for r in predictions[name] if r.get("status") != "quarantined"]
        documents = [_document_from(record, len(labels) + n) for n, record in
                     enumerate(kept, 1)]  # fmt: skip
        for document, record in zip(documents, kept, strict=True):
            labels[document.doc_id] = (f"{name} pages {record['pages']}", record)
        result = FileResult(path=Path(name), sha256=name, documents=documents)
        record_result(result, context)
    return _collect(engine, labels, truth_request_ids(corpus), thresholds)


def _collect(
    engine: Any,
    labels: dict[str, tuple[str, dict[str, Any]]],
    ids: dict[tuple[str, tuple[int, ...]], str | None],
    thresholds: Thresholds,
) -> CorpusResult:
    result = CorpusResult(thresholds)
    with Session(engine) as session:
        for document_id, (label, record) in labels.items():
            match = session.get(DocumentMatch, document_id)
            candidates = session.exec(
                select(MatchCandidate.request_id).where(
                    MatchCandidate.document_id == document_id
                )
            ).all()
            name = Path(record["source"]).name
            result.outcomes.append(Outcome(
                label=label,
                doc_type=record.get("doc_type") or "other",
                truth=_truth_for(ids, name, record["pages"]),
                band="none" if match is None else match.band,
                attached=None if match is None else match.attached_request_id,
                candidates=list(candidates),
                attached_by=None if match is None else match.attached_by,
            ))  # fmt: skip
    return result


@dataclass(frozen=True)
class ScoredDocument:
    """A document's full ranking and its ranking without its own request."""

    label: str
    truth: str | None
    ranked: list[PairScore]
    without_own: list[PairScore]


def score_documents(
    predictions: dict[str, list[dict[str, Any]]], corpus: Path, today: date
) -> list[ScoredDocument]:
    """Rank every document against every request, with and without its own."""
    engine = store.open_database("sqlite://")
    batch = read_requests(corpus / "requests.csv", today)
    with Session(engine) as session:
        for request in batch.requests:
            session.add(build_row(request, "import"))
        session.commit()
        requests = [request_facts(row) for row in open_requests(session)]
    ids = truth_request_ids(corpus)
    scored = []
    for name, record, facts in _identified(predictions):
        truth = _truth_for(ids, name, record["pages"])
        ranked = rank_requests(facts, requests)
        scored.append(ScoredDocument(
            label=f"{name} pages {record['pages']}", truth=truth, ranked=ranked,
            without_own=[s for s in ranked if s.request_id != truth],
        ))  # fmt: skip
    return scored


def _identified(
    predictions: dict[str, list[dict[str, Any]]],
) -> Iterator[tuple[str, dict[str, Any], DocumentFacts]]:
    """Yield each predicted document that names a patient, with its facts."""
    for name in sorted(predictions):
        for number, record in enumerate(predictions[name]):
            facts = DocumentFacts(
                document_id=f"{name}:{number}",
                doc_type=record.get("doc_type") or "other",
                fields=record.get("fields") or {},
            )
            if facts.has_identity:
                yield name, record, facts


@dataclass(frozen=True)
class BlockingCheck:
    """The pairs blocking scores on a corpus, and the candidates it keeps."""

    documents: int
    requests: int
    scored_pairs: int
    """Pairs inside the blocks, which the matcher scores."""
    candidate_pairs: int
    """Pairs that scoring every request would list as review candidates."""
    missed: list[str]
    """Candidate pairs outside the blocks, as "document -> request"."""


def check_blocking(
    predictions: dict[str, list[dict[str, Any]]],
    corpus: Path,
    today: date,
    thresholds: Thresholds,
) -> BlockingCheck:
    """Score every document against every request and against its blocks only.

    Every pair that the full ranking lists as a candidate (``choose_band``)
    must be inside the blocks; the ones that are not are ``missed``.
    """
    engine = store.open_database("sqlite://")
    batch = read_requests(corpus / "requests.csv", today)
    with Session(engine) as session:
        rows = [build_row(request, "import") for request in batch.requests]
        session.add_all(rows)
        store_request_keys(session, rows)
        session.commit()
        requests = [request_facts(row) for row in open_requests(session)]
        documents = scored_pairs = candidate_pairs = 0
        missed = []
        for name, record, facts in _identified(predictions):
            documents += 1
            blocked = {row.id for row in blocked_requests(session, facts)}
            scored_pairs += len(blocked)
            decision = choose_band(rank_requests(facts, requests), thresholds)
            for candidate in decision.candidates:
                candidate_pairs += 1
                if candidate.request_id not in blocked:
                    missed.append(
                        f"{name} pages {record['pages']} -> {candidate.request_id}"
                    )
    return BlockingCheck(
        documents, len(requests), scored_pairs, candidate_pairs, missed
    )


def format_blocking(check: BlockingCheck) -> str:
    """Render a blocking check as text."""
    total = check.documents * check.requests
    share = check.scored_pairs / total if total else 0.0
    summary = (
        f"blocking: {check.scored_pairs} of {total} pairs scored ({share:.1%}); "
        f"{len(check.missed)} of {check.candidate_pairs} candidate pairs outside "
        f"the blocks"
    )
    lines = [summary]
    lines += [f"  outside the blocks: {pair}" for pair in check.missed]
    return "\n".join(lines)


def _margin(ranked: list[PairScore]) -> float:
    return ranked[0].total - ranked[1].total if len(ranked) > 1 else math.inf


def lowest_safe_score(scored: list[ScoredDocument], margin: float) -> float:
    """Return the lowest automatic score at which no wrong candidate is attached.

    A wrong candidate is the best request of a ranking that leaves out the
    document's own request. It would be attached when its score reaches the
    threshold, it leads by ``margin`` and it passes the identity rules.
    """
    highest = -math.inf
    for document in scored:
        ranked = document.without_own
        if not ranked or not ranked[0].may_attach:
            continue
        if _margin(ranked) >= margin:
            highest = max(highest, ranked[0].total)
    return highest + 1.0 if highest > -math.inf else -math.inf


def auto_share(scored: list[ScoredDocument], thresholds: Thresholds) -> float:
    """Share of documents with a request whose own request would be attached."""
    own = [d for d in scored if d.truth is not None]
    right = 0
    for document in own:
        ranked = document.ranked
        best = ranked[0] if ranked else None
        if (
            best is not None
            and best.request_id == document.truth
            and best.total >= thresholds.auto_score
            and _margin(ranked) >= thresholds.margin
            and best.may_attach
        ):
            right += 1
    return right / len(own) if own else 0.0


def strongest_wrong_candidates(
    scored: list[ScoredDocument], count: int = 5
) -> list[str]:
    """Describe the highest-scoring wrong candidates, passing the rules or not."""
    wrong = [
        (d.without_own[0], _margin(d.without_own), d.label)
        for d in scored
        if d.without_own
    ]
    wrong.sort(key=lambda item: -item[0].total)
    lines = []
    for pair, margin, label in wrong[:count]:
        rules = "passes" if pair.may_attach else "fails"
        levels = ", ".join(
            f"{p.field}={p.level}" for p in pair.fields if p.level != "missing"
        )
        lines.append(
            f"{pair.total:>6.1f} margin {margin:>5.1f} {rules} the identity rules: "
            f"{label} -> {pair.request_id} ({levels})"
        )
    return lines


def identity_floor() -> float:
    """Return the score of the weakest confirmed identity with nothing else known.

    The combinations are those of ``PairScore.identity_confirmed``. One is a
    name at ``subset`` with an exact birth date, an exact record number or
    a document of the same file already attached. The other is an exact
    birth date with an exact record number. The automatic score never goes below the
    weakest, rounded down, so a confirmed identity that a weighed field
    argues against goes to review even where the corpus has no wrong
    candidate to show it.
    """
    second = min(
        level_weight("date_of_birth", "exact"),
        level_weight("mrn", "exact"),
        level_weight("same_file", "agree"),
    )
    with_name = level_weight("patient_name", "subset") + second
    without_name = level_weight("date_of_birth", "exact") + level_weight("mrn", "exact")
    return float(math.floor(min(with_name, without_name)))


def derive_thresholds(scored: list[ScoredDocument]) -> tuple[Thresholds, list[str]]:
    """Choose the automatic score and margin that attach most with no wrong one.

    For each margin of ``MARGIN_GRID`` the automatic score is the lowest
    safe score plus ``SCORE_SAFETY``, and never under ``identity_floor``.
    Of the margins that reach the highest automatic share, the largest is
    kept, since a wider margin costs nothing on the corpus.

    Returns:
        The thresholds (safety margins included) and one line per margin
        tried, for the record in docs/matching.md.
    """
    lines = []
    best: tuple[float, Thresholds] | None = None
    review = derive_review_score(scored)
    floor = max(identity_floor(), review + 1.0)
    for margin in MARGIN_GRID:
        lowest = lowest_safe_score(scored, margin)
        auto_score = max(lowest + SCORE_SAFETY, floor)
        thresholds = Thresholds(auto_score, review, margin + MARGIN_SAFETY)
        share = auto_share(scored, thresholds)
        lines.append(
            f"margin {margin:>4.1f}: lowest safe score {lowest:>6.1f}; thresholds "
            f"{thresholds.auto_score:>5.1f} / {thresholds.margin:>4.1f}: "
            f"{share:.1%} attached automatically"
        )
        if best is None or share >= best[0]:
            best = (share, thresholds)
    assert best is not None
    return best[1], lines


def derive_review_score(scored: list[ScoredDocument]) -> float:
    """Return a review score that keeps each document's own request a candidate.

    It is the lowest score of a right pair less 2, rounded down and kept
    between 0 and 8. Under 0 the evidence is against the pair, so such a
    review list would hold every request. Over 8 (a 256-fold likelihood
    ratio) a weak right pair would drop out of review.
    """
    right = [s.total for d in scored for s in d.ranked if s.request_id == d.truth]
    if not right:
        return REVIEW_SCORE_CAP
    lowest = math.floor(min(right) - 2.0)
    return float(min(REVIEW_SCORE_CAP, max(0.0, lowest)))


def estimate_probabilities(
    scored: list[ScoredDocument],
) -> dict[str, dict[str, tuple[float, float]]]:
    """Estimate m and u of every field level from labelled pairs (add-one smoothing)."""
    matched: dict[str, Counter[str]] = {name: Counter() for name in FIELD_PROBABILITIES}
    unmatched: dict[str, Counter[str]] = {
        name: Counter() for name in FIELD_PROBABILITIES
    }
    for document in scored:
        for pair in document.ranked:
            counts = matched if pair.request_id == document.truth else unmatched
            for part in pair.fields:
                if part.level != "missing":
                    counts[part.field][part.level] += 1
    estimates = {}
    for name, levels in FIELD_PROBABILITIES.items():
        m_total = sum(matched[name].values()) + len(levels)
        u_total = sum(unmatched[name].values()) + len(levels)
        estimates[name] = {
            level: ((matched[name][level] + 1) / m_total,
                    (unmatched[name][level] + 1) / u_total)
            for level in levels
        }  # fmt: skip
    return estimates


def format_report(result: CorpusResult) -> str:
    """Render the confusion counts and the automatic share as text."""
    counts = result.counts()
    t = result.thresholds
    lines = [
        (
            f"thresholds: auto {t.auto_score:.1f}, margin {t.margin:.1f}, "
            f"review {t.review_score:.1f}"
        ),
        (
            f"documents matched: {len(result.outcomes)}, "
            f"with a request in the truth: {len(result.with_request)}"
        ),
    ]
    for kind in OUTCOME_KINDS:
        lines.append(f"  {kind:<22}{counts[kind]:>5}")
    lines.append(
        f"attached automatically to the right request: {result.auto_rate():.1%}"
    )
    for outcome in result.outcomes:
        if outcome.kind in (
            "wrong_attachment",
            "review_right_absent",
            "missed",
            "new_request",
        ):
            lines.append(f"  {outcome.kind}: {outcome.label} ({outcome.doc_type})")
    return "\n".join(lines)


def format_by_type(result: CorpusResult) -> str:
    """Render the confusion counts per document type as a Markdown table."""
    kinds = [kind for kind in OUTCOME_KINDS if result.counts()[kind]]
    types = sorted({outcome.doc_type for outcome in result.outcomes})
    lines = [
        "| document type | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for doc_type in types:
        counts = Counter(o.kind for o in result.outcomes if o.doc_type == doc_type)
        cells = " | ".join(str(counts[kind]) for kind in kinds)
        lines.append(f"| {doc_type} | {cells} |")
    return "\n".join(lines)


def format_probabilities(estimates: dict[str, dict[str, tuple[float, float]]]) -> str:
    """Render configured and estimated m and u side by side."""
    lines = [
        f"{'field':<17}{'level':<10}{'m set':>9}{'m est':>9}{'u set':>11}{'u est':>11}"
    ]
    for name, levels in FIELD_PROBABILITIES.items():
        if name not in ESTIMATED_FIELDS:
            continue
        for level, (m, u) in levels.items():
            m_est, u_est = estimates[name][level]
            lines.append(
                f"{name:<17}{level:<10}{m:>9.3f}{m_est:>9.3f}{u:>11.2e}{u_est:>11.2e}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation from the command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m matchers.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("predictions", nargs="?", type=Path, metavar="PRED.jsonl")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path("samples/corpus"),
        help="folder with requests.csv, manifest.json and truth files",
    )
    parser.add_argument(
        "--truth-fields",
        action="store_true",
        help="match the truth records instead of a pipeline output",
    )
    parser.add_argument(
        "--derive",
        action="store_true",
        help="also derive thresholds and estimate m and u",
    )
    args = parser.parse_args(argv)
    if args.predictions is None and not args.truth_fields:
        parser.error("give PRED.jsonl or --truth-fields")

    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    today = date.fromisoformat(manifest["as_of"])
    predictions = (
        truth_as_predictions(args.corpus)
        if args.truth_fields
        else load_predictions(args.predictions)
    )
    thresholds = thresholds_from(Settings.from_env())
    if args.derive:
        scored = score_documents(predictions, args.corpus, today)
        thresholds, lines = derive_thresholds(scored)
        print("\n".join(lines))
        print("strongest wrong candidates:")
        print("\n".join(strongest_wrong_candidates(scored)))
        print(format_probabilities(estimate_probabilities(scored)))
    with tempfile.TemporaryDirectory() as folder:
        result = run_corpus(
            predictions,
            args.corpus,
            today,
            thresholds,
            f"sqlite:///{folder}/evaluate.db",
        )
    print(format_report(result))
    print(format_by_type(result))
    print(format_blocking(check_blocking(predictions, args.corpus, today, thresholds)))
    return 1 if result.counts()["wrong_attachment"] else 0


if __name__ == "__main__":
    sys.exit(main())
