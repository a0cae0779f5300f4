"""Fellegi-Sunter scores of a document against a request, and the three bands.

Each compared field has agreement levels (``matchers.compare.LEVELS``). For
each level, ``m`` is the probability of that level when the document and
the request concern the same patient and exam, and ``u`` the probability
when they do not. A field at a level adds ``log2(m / u)`` to the score, so
agreement on a rare value adds much, disagreement subtracts, and a field
missing on either side adds nothing. The score is the sum over fields. A
score of 10 means that the observed agreement is 2**10 times likelier for
the right request than for a wrong one.

The m and u values below were set by reasoning about the population and
the OCR error rates (each is explained in docs/matching.md), then checked
against the values estimated from the labelled sample corpus. The band
thresholds come from the settings, and docs/matching.md explains how their
defaults were chosen on the corpus.

Fellegi-Sunter treats fields as independent, which twins, relatives and
a patient's own second request break (same surname, same date of birth,
same person). So besides the score and the margin, an automatic attachment
also needs the identity confirmed by two pieces of evidence
(``PairScore.identity_confirmed``) and contradicted by none: a birth date,
record number or exam date that disagrees keeps the document in review
(``CONTRADICTIONS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from matchers import compare

BANDS = ("auto", "review", "none")
"""auto: attached without a person; review: a person picks among the ranked
candidates; none: no request is close enough to show."""

FIELD_PROBABILITIES: dict[str, dict[str, tuple[float, float]]] = {
    "patient_name": {
        "exact": (0.80, 1e-4),
        "variant": (0.12, 5e-4),
        "subset": (0.05, 1e-3),
        "partial": (0.02, 0.02),
        "disagree": (0.01, 0.9784),
    },
    "date_of_birth": {
        "exact": (0.90, 4e-5),
        "misread": (0.06, 1e-3),
        "disagree": (0.04, 0.99896),
    },
    "mrn": {
        "exact": (0.93, 1e-6),
        "one_edit": (0.05, 1e-4),
        "disagree": (0.02, 0.999899),
    },
    "exam_date": {
        "exact": (0.85, 0.005),
        "close": (0.08, 0.04),
        "disagree": (0.07, 0.955),
    },
    "exam_description": {
        "same": (0.85, 0.08),
        "related": (0.10, 0.25),
        "disagree": (0.05, 0.67),
    },
    "requester": {
        "agree": (0.80, 0.02),
        "disagree": (0.20, 0.98),
    },
    "same_file": {
        "agree": (0.50, 0.002),
    },
}
"""(m, u) for every field and level; the level ``missing`` always weighs 0.

``same_file`` is one-sided. It agrees when a document from the same source
file (a fax or scan sent as one) is already attached to the request, and is
missing otherwise, so that files of one document lose nothing."""

IDENTITY_NAME_LEVELS = ("exact", "variant", "subset")
IDENTITY_KEYS = (("date_of_birth", "exact"), ("mrn", "exact"))
"""Identifiers of which one must agree exactly beside the name, or both without it."""
CONTRADICTIONS = (
    ("date_of_birth", "disagree"),
    ("mrn", "disagree"),
    ("exam_date", "disagree"),
)
"""Levels that keep a request from being attached automatically, whatever the score."""

STRONG_IDENTIFIER_LEVELS: dict[str, tuple[str, ...]] = {
    "patient_name": ("exact", "variant", "subset"),
    "date_of_birth": ("exact",),
    "mrn": ("exact", "one_edit"),
}
"""Levels at which one identifier alone makes a request a review candidate,
however the other fields score: a right name with a misread birth date, or
a right birth date with a garbled name, must reach a person."""
WEAK_IDENTIFIER_LEVELS: dict[str, tuple[str, ...]] = {
    "patient_name": ("partial",),
    "date_of_birth": ("misread",),
}
"""Levels at which an identifier counts towards a review candidate only
together with another one (a shared surname and a misread birth date)."""

REQUESTER_TYPES_COMPARED = ("outside_physician", "legal")
"""Request types whose requester can be recognised on a document."""


def level_weight(field_name: str, level: str) -> float:
    """Return the log2 weight of one field at one agreement level."""
    if level == "missing":
        return 0.0
    m, u = FIELD_PROBABILITIES[field_name][level]
    return math.log2(m / u)


@dataclass(frozen=True)
class Thresholds:
    """Score limits of the bands; the defaults live in ``intake.settings``."""

    auto_score: float
    """Lowest best score that may be attached without a person."""
    review_score: float
    """Lowest score of a candidate worth showing to a reviewer."""
    margin: float
    """How far the best score must lead the second for an automatic attachment."""


@dataclass(frozen=True)
class DocumentFacts:
    """The matcher's view of one stored document."""

    document_id: str
    doc_type: str
    fields: dict[str, str | None]
    reasons: tuple[str, ...] = ()
    source_file_id: int | None = None
    file_requests: frozenset[str] = frozenset()
    """Requests that already hold another document of the same source file."""

    def value(self, name: str) -> str | None:
        """Return a field's value, None when absent or blank."""
        text = self.fields.get(name)
        if not text:
            return None
        return text.strip() or None

    @property
    def has_identity(self) -> bool:
        """True when the document names a patient, a birth date or a record number."""
        return any(self.value(n) for n in ("patient_name", "date_of_birth", "mrn"))


@dataclass(frozen=True)
class RequestFacts:
    """The matcher's view of one open request."""

    request_id: str
    requester_type: str
    patient_name: str
    date_of_birth: date | None
    mrn: str | None = None
    exam_date: date | None = None
    exam_description: str | None = None
    requester_name: str | None = None
    requester_contact: str | None = None


@dataclass(frozen=True)
class FieldScore:
    """One field's part of a score: its level, weight and the m and u behind it."""

    field: str
    level: str
    weight: float
    m: float | None
    u: float | None
    note: str = ""


@dataclass
class PairScore:
    """A document scored against one request, with its breakdown by field."""

    request_id: str
    total: float
    fields: list[FieldScore] = field(default_factory=list)

    def level(self, field_name: str) -> str:
        """Return the agreement level of one field, ``missing`` if not compared."""
        for part in self.fields:
            if part.field == field_name:
                return part.level
        return "missing"

    @property
    def identity_confirmed(self) -> bool:
        """True when the patient is confirmed by two pieces of evidence.

        Either the name agrees (``IDENTITY_NAME_LEVELS``) and so does the
        date of birth or the record number exactly, or a document sent in
        the same file is already attached to this request. Or the date of
        birth and the record number both agree exactly, whatever OCR made
        of the name.
        """
        keys = [self.level(name) == level for name, level in IDENTITY_KEYS]
        if all(keys):
            return True
        if self.level("patient_name") not in IDENTITY_NAME_LEVELS:
            return False
        return any(keys) or self.level("same_file") == "agree"

    @property
    def exam_weight(self) -> float:
        """The part of the score that the exam date and description give."""
        return sum(part.weight for part in self.fields if part.field in EXAM_FIELDS)

    @property
    def shares_identifier(self) -> bool:
        """True when the identifiers alone make this request worth a review.

        One identifier must agree at a ``STRONG_IDENTIFIER_LEVELS`` level, or
        two at least at a ``WEAK_IDENTIFIER_LEVELS`` level.
        """
        weak = 0
        for name, levels in STRONG_IDENTIFIER_LEVELS.items():
            level = self.level(name)
            if level in levels:
                return True
            if level in WEAK_IDENTIFIER_LEVELS.get(name, ()):
                weak += 1
        return weak >= 2

    @property
    def contradiction(self) -> str | None:
        """The first field whose disagreement forbids an automatic attachment."""
        for name, level in CONTRADICTIONS:
            if self.level(name) == level:
                return name
        return None

    @property
    def may_attach(self) -> bool:
        """True when only the thresholds can keep this request from being attached.

        The identity must be confirmed, and neither identifier nor the exam
        date may disagree: another birth date or record number means another
        patient, and another exam date the same patient's other request.
        """
        return self.identity_confirmed and self.contradiction is None

    def breakdown(self) -> list[dict[str, Any]]:
        """Return the per-field parts as JSON-ready dictionaries."""
        return [asdict(part) for part in self.fields]


def _comparators(
    document: DocumentFacts, request: RequestFacts
) -> list[tuple[str, Callable[[], compare.Comparison]]]:
    comparators: list[tuple[str, Callable[[], compare.Comparison]]] = [
        ("patient_name", lambda: compare.compare_name_field(
            document.value("patient_name"), request.patient_name)),
        ("date_of_birth", lambda: compare.compare_birth_dates(
            document.value("date_of_birth"), request.date_of_birth)),
        ("mrn", lambda: compare.compare_record_numbers(
            document.value("mrn"), request.mrn)),
        ("exam_date", lambda: compare.compare_exam_dates(
            document.value("exam_date"), request.exam_date)),
        ("exam_description", lambda: compare.compare_exam_descriptions(
            document.value("exam_description"), request.exam_description)),
    ]  # fmt: skip
    if request.requester_type in REQUESTER_TYPES_COMPARED:
        names = [document.value("physician_name"), document.value("release_to_name")]
        comparators.append(("requester", lambda: compare.compare_requesters(
            names, document.value("physician_fax"), request.requester_name,
            request.requester_contact)))  # fmt: skip
    if request.request_id in document.file_requests:
        comparators.append(("same_file", lambda: compare.Comparison("agree")))
    return comparators


def score_pair(document: DocumentFacts, request: RequestFacts) -> PairScore:
    """Score one document against one request, field by field."""
    parts = []
    for name, comparator in _comparators(document, request):
        comparison = comparator()
        m_u = FIELD_PROBABILITIES[name].get(comparison.level)
        parts.append(
            FieldScore(
                field=name,
                level=comparison.level,
                weight=round(level_weight(name, comparison.level), 3),
                m=None if m_u is None else m_u[0],
                u=None if m_u is None else m_u[1],
                note=comparison.note,
            )
        )
    total = round(sum(part.weight for part in parts), 3)
    return PairScore(request.request_id, total, parts)


def rank_requests(
    document: DocumentFacts, requests: Iterable[RequestFacts]
) -> list[PairScore]:
    """Score ``document`` against every request, best first (ties by request id)."""
    scores = [score_pair(document, request) for request in requests]
    return sorted(scores, key=lambda score: (-score.total, score.request_id))


@dataclass(frozen=True)
class BandDecision:
    """The band of one document and the candidates a reviewer would see."""

    band: str
    best: PairScore | None
    margin: float | None
    """Best score minus the second best; None with fewer than two candidates."""
    candidates: list[PairScore]
    """Candidates at or above the review score or sharing an identifier, best
    first."""
    note: str = ""

    @property
    def attached_request_id(self) -> str | None:
        """The request attached automatically, None in the other bands."""
        return self.best.request_id if self.band == "auto" and self.best else None


EXAM_FIELDS = ("exam_date", "exam_description")


def _same_patient_rival(
    best: PairScore, candidates: list[PairScore], margin: float
) -> bool:
    """Return True when another candidate may be the same patient's request and
    the exam fields do not favour the best by at least ``margin``.

    Judged from the document alone, a request is the same patient's when
    its birth date agrees exactly, as the best's does, its name agrees with
    the document as well as the best's, and its record number does not
    disagree.
    """
    if best.level("date_of_birth") != "exact":
        return False
    lead = best.exam_weight
    return any(
        other.level("date_of_birth") == "exact"
        and other.level("patient_name") == best.level("patient_name")
        and other.level("mrn") != "disagree"
        and lead - other.exam_weight < margin
        for other in candidates
        if other is not best
    )


def choose_band(ranked: list[PairScore], thresholds: Thresholds) -> BandDecision:
    """Choose the band for a document from its ranked scores.

    ``auto`` needs all three: the best score at or above
    ``thresholds.auto_score``, a lead of at least ``thresholds.margin`` over
    the second best, and a confirmed identity (see the module docstring).
    When another candidate may be the same patient's request, the exam
    fields must also favour the best by the margin. With two requests of
    one patient and no exam to tell them apart, the document waits.
    Otherwise a document goes to ``review`` when any request scores at least
    ``thresholds.review_score`` or shares an identifier with it
    (``PairScore.shares_identifier``), and to ``none`` when none does.
    """
    candidates = [
        s for s in ranked if s.total >= thresholds.review_score or s.shares_identifier
    ]
    if not candidates:
        best = ranked[0] if ranked else None
        return BandDecision(
            "none",
            best,
            None,
            [],
            "no candidate over the review score or sharing an identifier",
        )

    best = candidates[0]
    margin = best.total - ranked[1].total if len(ranked) > 1 else None
    if best.total < thresholds.auto_score:
        note = "best score under the automatic score"
    elif margin is not None and margin < thresholds.margin:
        note = "second best too close"
    elif not best.identity_confirmed:
        note = "identity not confirmed by name and birth date or record number"
    elif best.contradiction is not None:
        note = f"{best.contradiction} disagrees"
    elif _same_patient_rival(best, candidates, thresholds.margin):
        # Two open requests of one patient differ only by their exams, so a
        # record number that one of them lacks cannot choose between them.
        note = (
            "another open request of the same patient, "
            "and the exam does not tell them apart"
        )
    else:
        return BandDecision("auto", best, margin, candidates, "")
    return BandDecision("review", best, margin, candidates, note)
