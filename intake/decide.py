"""Turn a document's type, fields and checks into a status and reasons.

The rule that shapes every threshold here: a wrong automatic decision is
far worse than a review. A document is ``accepted`` only when every rule
for its type passed with confidence. It is ``rejected`` only when a rule
failed with confidence (an empty signature area, an unticked box), and it
goes to ``needs_review`` whenever anything is unsure.
"""

from __future__ import annotations

from datetime import date

from intake.reasons import Reason
from intake.types import Check, Document, Page

MIN_TYPE_CONFIDENCE = 0.90
"""Classifier confidence below which the type itself needs a person."""
MIN_CHECK_CONFIDENCE = 0.80
"""Check confidence below which its outcome counts as unsure."""
MIN_FIELD_CONFIDENCE = 0.50
"""Field confidence below which a letter's field counts as unsure."""
MIN_PAGE_OCR_CONFIDENCE = 55.0
"""Mean word confidence (0-100) under which a scanned page is unreadable.
Upright scans and faxes of the sample corpus read at 61 and above (most
above 80); an upside-down page kept unturned read at 43."""

MAX_FUTURE_SIGNATURE_DAYS = 366
"""Days after today beyond which a signature date is taken as misread (a "2"
read as "7" gave 2076) rather than as a form signed ahead of time."""

FORM_TYPES = ("release_images", "third_party_release")

# For each check: the reason when it failed, and when it was unsure.
CHECK_REASONS: dict[str, tuple[Reason, Reason]] = {
    "signed": (Reason.SIGNATURE_MISSING, Reason.SIGNATURE_UNCERTAIN),
    "signature_date": (
        Reason.SIGNATURE_DATE_MISSING,
        Reason.SIGNATURE_DATE_UNREADABLE,
    ),
    "xray_scan_reports_checked": (
        Reason.XRAY_BOX_UNCHECKED,
        Reason.XRAY_BOX_UNCERTAIN,
    ),
    "release_to": (Reason.RELEASE_TO_MISSING, Reason.RELEASE_TO_MISSING),
    "hipaa_information": (
        Reason.HIPAA_INFORMATION_MISSING,
        Reason.HIPAA_INFORMATION_MISSING,
    ),
    "hipaa_releaser": (
        Reason.HIPAA_RELEASER_MISSING,
        Reason.HIPAA_RELEASER_MISSING,
    ),
    "hipaa_purpose": (Reason.HIPAA_PURPOSE_MISSING, Reason.HIPAA_PURPOSE_MISSING),
    "hipaa_expiry": (Reason.HIPAA_EXPIRY_MISSING, Reason.HIPAA_EXPIRY_MISSING),
    "representative_authority": (
        Reason.REPRESENTATIVE_AUTHORITY_MISSING,
        Reason.REPRESENTATIVE_AUTHORITY_MISSING,
    ),
}

REQUIRED_CHECKS = {
    "release_images": ("signed", "signature_date", "representative_authority"),
    "third_party_release": tuple(CHECK_REASONS),
}

ROUTING_REASONS = (Reason.REPORT_ONLY_REQUEST, Reason.LEGAL_REQUEST)


class Verdict:
    """Reasons gathered while deciding, split by how sure they are."""

    def __init__(self) -> None:
        self.failed: list[Reason] = []
        self.unsure: list[Reason] = []

    def fail(self, reason: Reason) -> None:
        if reason not in self.failed:
            self.failed.append(reason)

    def doubt(self, reason: Reason) -> None:
        if reason not in self.unsure:
            self.unsure.append(reason)


def decide(document: Document, today: date) -> tuple[str, list[str]]:
    """Return the status and reason codes for ``document`` as of ``today``."""
    verdict = Verdict()
    routing = [r for r in ROUTING_REASONS if r in document.reasons]
    for reason in routing:
        verdict.doubt(reason)

    if document.confidence < MIN_TYPE_CONFIDENCE:
        verdict.doubt(Reason.TYPE_UNCERTAIN)
    if any(page.orientation_uncertain for page in document.pages):
        verdict.doubt(Reason.ORIENTATION_UNCERTAIN)
    if any(_unreadable(page) for page in document.pages):
        verdict.doubt(Reason.PAGE_UNREADABLE)

    if document.doc_type in FORM_TYPES:
        _judge_form(document, today, verdict)
    elif document.doc_type == "physician_request":
        _judge_letter(document, verdict)
    elif document.doc_type == "other":
        verdict.doubt(Reason.NOT_A_RELEASE_DOCUMENT)

    reasons = [str(r) for r in verdict.failed + verdict.unsure]
    if verdict.unsure:
        return "needs_review", reasons
    if verdict.failed:
        return "rejected", reasons
    return "accepted", reasons


def _unreadable(page: Page) -> bool:
    """Return True for a scanned page with words whose reading is mostly unsure."""
    if page.has_text_layer or not page.words:
        return False
    return page.ocr_confidence < MIN_PAGE_OCR_CONFIDENCE


def _judge_form(document: Document, today: date, verdict: Verdict) -> None:
    for name in REQUIRED_CHECKS[document.doc_type]:
        failed, unsure = CHECK_REASONS[name]
        check = document.checks.get(name)
        if check is None or check.passed is None:
            verdict.doubt(unsure)
        elif check.confidence < MIN_CHECK_CONFIDENCE:
            verdict.doubt(failed if check.passed is False else unsure)
        elif check.passed is False:
            verdict.fail(failed)

    _judge_dates(document.checks, today, verdict)


def _judge_dates(checks: dict[str, Check], today: date, verdict: Verdict) -> None:
    signature_date = _check_date(checks.get("signature_date"))
    if signature_date is not None and signature_date > today:
        if (signature_date - today).days > MAX_FUTURE_SIGNATURE_DAYS:
            verdict.doubt(Reason.SIGNATURE_DATE_UNREADABLE)
        else:
            verdict.fail(Reason.SIGNATURE_DATE_IN_FUTURE)

    expiry = _check_date(checks.get("hipaa_expiry"))
    if expiry is not None and expiry < today:
        verdict.fail(Reason.AUTHORIZATION_EXPIRED)


def _check_date(check: Check | None) -> date | None:
    if check is None or not check.passed or not check.value:
        return None
    try:
        return date.fromisoformat(check.value)
    except ValueError:
        return None


def _judge_letter(document: Document, verdict: Verdict) -> None:
    """Require a patient, a date of birth and an exam on a letter.

    A field the extractor did not find is only a failure when it reports
    the absence itself with confidence (a ``FieldValue`` whose value is
    None); a field that is simply not there may be an OCR miss, so it
    goes to review.
    """
    required = (
        (("patient_name",), Reason.PATIENT_NAME_MISSING),
        (("date_of_birth",), Reason.DATE_OF_BIRTH_MISSING),
        (("exam_date", "exam_description"), Reason.EXAM_MISSING),
    )
    for names, reason in required:
        values = [document.fields.get(name) for name in names]
        present = [v for v in values if v is not None and v.value]
        absent = [v for v in values if v is not None and not v.value]
        if present:
            if max(v.confidence for v in present) < MIN_FIELD_CONFIDENCE:
                verdict.doubt(reason)
        elif len(absent) == len(names) and all(
            v.confidence >= MIN_CHECK_CONFIDENCE for v in absent
        ):
            verdict.fail(reason)
        else:
            verdict.doubt(reason)
