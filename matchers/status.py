"""The status of a request under the Image Service Center's rules.

In order of precedence:

1. A legal request (requester type ``legal``, or a document attached to it
   flagged ``legal_request``) goes to ``individual_handling``.
2. A request for the report alone (scope ``report_only``, or an attached
   document flagged ``report_only_request``) goes to ``medical_records``.
3. A request for an exam whose images are no longer kept is
   ``out_of_retention``: images are kept seven years after the patient's
   last exam, ten for a mammogram (``matchers.calendar``).
4. A request that lacks a valid document it needs is ``waiting_for_forms``.
   Patients need both authorization forms; outside physicians need their
   letter and both forms; physicians inside the hospital need none. A form
   counts when its document was accepted and, judged again on the day of
   the status, it is signed and dated on or before that day. A third-party
   form must also be unexpired, with the x-ray box ticked and release-to
   filled in.
5. A request whose images do not exist yet (before the second business day
   after the exam) is ``waiting_for_images``.
6. Otherwise the request is ``complete``: it can be filled.

Every status comes with reason codes. Codes shared with documents are the
``intake.reasons.Reason`` values; the others are ``RequestReason``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from intake.decide import MIN_CHECK_CONFIDENCE
from intake.reasons import Reason
from matchers.calendar import images_ready_on, is_mammogram, retained_until


class RequestStatus(StrEnum):
    WAITING_FOR_FORMS = "waiting_for_forms"
    WAITING_FOR_IMAGES = "waiting_for_images"
    COMPLETE = "complete"
    OUT_OF_RETENTION = "out_of_retention"
    MEDICAL_RECORDS = "medical_records"
    INDIVIDUAL_HANDLING = "individual_handling"
    CLOSED = "closed"
    """Closed by staff (``intake requests close``); ``decide_status`` never
    returns it, and a closed request is neither matched nor refreshed."""


class RequestReason(StrEnum):
    RELEASE_IMAGES_FORM_MISSING = "release_images_form_missing"
    THIRD_PARTY_FORM_MISSING = "third_party_form_missing"
    PHYSICIAN_LETTER_MISSING = "physician_letter_missing"
    DOCUMENT_NOT_ACCEPTED = "document_not_accepted"
    IMAGES_NOT_READY = "images_not_ready"
    OUT_OF_RETENTION = "out_of_retention"


REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "patient": ("release_images", "third_party_release"),
    "outside_physician": ("physician_request", "release_images", "third_party_release"),
    "inside_physician": (),
    "legal": (),
}
MISSING_REASONS = {
    "release_images": RequestReason.RELEASE_IMAGES_FORM_MISSING,
    "third_party_release": RequestReason.THIRD_PARTY_FORM_MISSING,
    "physician_request": RequestReason.PHYSICIAN_LETTER_MISSING,
}
DOCUMENT_NAMES = {
    "release_images": "authorization to release images",
    "third_party_release": "third-party release",
    "physician_request": "physician's letter",
}
ROUTING_CODES = (str(Reason.LEGAL_REQUEST), str(Reason.REPORT_ONLY_REQUEST))


@dataclass(frozen=True)
class CheckState:
    """A stored check outcome, as the status rules read it."""

    passed: bool | None
    confidence: float
    value: str | None = None


@dataclass(frozen=True)
class AttachedDocument:
    """A document attached to a request, with its outcome and checks."""

    document_id: str
    doc_type: str
    status: str
    reasons: tuple[str, ...] = ()
    checks: dict[str, CheckState] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestState:
    """The facts about a request that its status depends on."""

    requester_type: str
    exam_date: date
    exam_description: str | None = None
    scope: str = "images"
    last_exam: date | None = None
    """The patient's most recent exam over all their requests (default: this one)."""


@dataclass(frozen=True)
class StatusDecision:
    """A request's status, its reason codes and a readable summary."""

    status: str
    reasons: list[str]
    detail: str


def _passed(check: CheckState | None) -> bool:
    return bool(check and check.passed and check.confidence >= MIN_CHECK_CONFIDENCE)


def _check_date(check: CheckState | None) -> date | None:
    if not _passed(check) or check is None or not check.value:
        return None
    try:
        return date.fromisoformat(check.value)
    except ValueError:
        return None


def judge_document(document: AttachedDocument, today: date) -> list[str]:
    """Return why an attached document does not count yet (empty when it does)."""
    problems: list[str] = []
    checks = document.checks
    if document.doc_type in ("release_images", "third_party_release"):
        if not _passed(checks.get("signed")):
            problems.append(str(Reason.SIGNATURE_MISSING))
        signed_on = _check_date(checks.get("signature_date"))
        if signed_on is None:
            problems.append(str(Reason.SIGNATURE_DATE_MISSING))
        elif signed_on > today:
            problems.append(str(Reason.SIGNATURE_DATE_IN_FUTURE))
    if document.doc_type == "third_party_release":
        if not _passed(checks.get("xray_scan_reports_checked")):
            problems.append(str(Reason.XRAY_BOX_UNCHECKED))
        if not _passed(checks.get("release_to")):
            problems.append(str(Reason.RELEASE_TO_MISSING))
        expiry = _check_date(checks.get("hipaa_expiry"))
        if expiry is not None and expiry < today:
            problems.append(str(Reason.AUTHORIZATION_EXPIRED))
    if document.status != "accepted":
        kept = [r for r in document.reasons if r not in ROUTING_CODES]
        problems.extend(kept or [str(RequestReason.DOCUMENT_NOT_ACCEPTED)])
    return list(dict.fromkeys(problems))


def judge_documents(
    required: tuple[str, ...], documents: list[AttachedDocument], today: date
) -> tuple[list[str], list[str]]:
    """Return the reason codes and readable notes for the documents still needed."""
    reasons: list[str] = []
    notes: list[str] = []
    for doc_type in required:
        candidates = [d for d in documents if d.doc_type == doc_type]
        if not candidates:
            reasons.append(str(MISSING_REASONS[doc_type]))
            notes.append(f"{DOCUMENT_NAMES[doc_type]} missing")
            continue
        verdicts = [judge_document(d, today) for d in candidates]
        if any(not problems for problems in verdicts):
            continue
        # None is valid: report the one with the fewest problems.
        fewest = min(verdicts, key=len)
        reasons.extend(fewest)
        notes.append(f"{DOCUMENT_NAMES[doc_type]} not valid ({', '.join(fewest)})")
    return list(dict.fromkeys(reasons)), notes


def decide_status(
    request: RequestState, documents: list[AttachedDocument], today: date
) -> StatusDecision:
    """Return the status of a request as of ``today`` under the center's rules."""
    flagged = {reason for d in documents for reason in d.reasons}
    if request.requester_type == "legal" or str(Reason.LEGAL_REQUEST) in flagged:
        return StatusDecision(
            RequestStatus.INDIVIDUAL_HANDLING,
            [str(Reason.LEGAL_REQUEST)],
            "legal request",
        )
    if request.scope == "report_only" or str(Reason.REPORT_ONLY_REQUEST) in flagged:
        return StatusDecision(
            RequestStatus.MEDICAL_RECORDS,
            [str(Reason.REPORT_ONLY_REQUEST)],
            "report only: route to Medical Records",
        )

    last_exam = max(request.last_exam or request.exam_date, request.exam_date)
    kept_until = retained_until(last_exam, is_mammogram(request.exam_description))
    if today > kept_until:
        return StatusDecision(
            RequestStatus.OUT_OF_RETENTION,
            [str(RequestReason.OUT_OF_RETENTION)],
            f"images kept until {kept_until.isoformat()}",
        )

    required = REQUIRED_DOCUMENTS[request.requester_type]
    reasons, notes = judge_documents(required, documents, today)
    ready_on = images_ready_on(request.exam_date)
    if today < ready_on:
        reasons.append(str(RequestReason.IMAGES_NOT_READY))
        notes.append(f"images ready on {ready_on.isoformat()}")
    if any(reason != RequestReason.IMAGES_NOT_READY for reason in reasons):
        return StatusDecision(
            RequestStatus.WAITING_FOR_FORMS, reasons, "; ".join(notes)
        )
    if reasons:
        return StatusDecision(
            RequestStatus.WAITING_FOR_IMAGES, reasons, "; ".join(notes)
        )
    return StatusDecision(RequestStatus.COMPLETE, [], "ready to fill")
