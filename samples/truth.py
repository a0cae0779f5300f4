"""Ground truth: the planned documents, the expected status rules and the files.

Every generated source file ``NAME.EXT`` gets ``NAME.EXT.truth.jsonl``, one
JSON object per document in page order, in the shape the pipeline outputs
(docs/samples.md lists every key). The expected status is computed here from
what was drawn on the page, never from what the generator meant to do, and
the generator checks that the two agree.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from intake.reasons import Reason
from intake.types import FIELD_NAMES

logger = logging.getLogger(__name__)

EXTRA_FIELDS = (
    "purpose",
    "expiry_date",
    "expiry_event",
    "representative_name",
    "representative_authority",
)
"""Fields of the authorization forms beyond the pipeline's ``FIELD_NAMES``."""

FIELD_KEYS = (*FIELD_NAMES, *EXTRA_FIELDS)
CHECK_KEYS = ("signed", "signature_date", "xray_scan_reports_checked")
"""Keys of a truth record's ``checks``, in output order."""

APPLICABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "release_images": (
        "patient_name", "date_of_birth", "mrn", "exam_date", "exam_description",
        "representative_name", "representative_authority",
    ),
    "third_party_release": (
        "patient_name", "date_of_birth", "mrn", "release_to_name",
        "release_to_address", *EXTRA_FIELDS,
    ),
    "physician_request": (
        "patient_name", "date_of_birth", "mrn", "exam_date", "exam_description",
        "physician_name", "physician_fax",
    ),
    "fax_cover": (),
    "other": (),
}
"""Fields each document type carries; every other field is null in its truth.

An "other" document that is itself a request (a law firm's letter or a
report-only request) also carries the patient and exam fields; see
``REQUEST_FIELDS``.
"""

REQUEST_FIELDS = ("patient_name", "date_of_birth", "mrn", "exam_date",
                  "exam_description")

FORM_TYPES = ("release_images", "third_party_release")

PageDrawer = Callable[[Canvas], None]
"""Draws one page on a reportlab canvas (the caller starts the next page)."""


@dataclass
class SampleDocument:
    """One planned document: how to draw its pages and what is on them."""

    doc_type: str
    language: str
    pages: list[PageDrawer]
    fields: dict[str, str | None] = field(default_factory=dict)
    """Truth values as on the page: dates ISO, MRN digits, phones NPA-NXX-XXXX."""
    signed: bool | None = None
    signature_date: date | None = None
    xray_checked: bool | None = None
    edition: str | None = None
    extra_reasons: list[Reason] = field(default_factory=list)
    """Routing reasons of "other" documents (legal or report-only requests)."""
    intended_defects: list[str] = field(default_factory=list)
    """Reason codes the generator meant to cause; checked against the rules."""
    patient_key: str | None = None
    """Key of the patient the document concerns, to find its request."""
    notes: dict[str, Any] = field(default_factory=dict)
    """Extra truth: marks, fill style, name variant, information ticked."""


def expected_status(document: SampleDocument, as_of: date) -> tuple[str, list[str]]:
    """Apply the intake rules to what is on the page.

    Returns:
        The expected status and its reason codes, in the order of
        :class:`~intake.reasons.Reason`.
    """
    if document.doc_type in FORM_TYPES:
        reasons = _form_reasons(document, as_of)
        status = "rejected" if reasons else "accepted"
    elif document.doc_type == "physician_request":
        reasons = _letter_reasons(document)
        status = "rejected" if reasons else "accepted"
    elif document.doc_type == "fax_cover":
        reasons, status = [], "accepted"
    else:
        reasons, status = [Reason.NOT_A_RELEASE_DOCUMENT], "needs_review"
    if document.extra_reasons:
        # A person handles a legal or report-only request, even when its
        # form is complete.
        reasons = [*reasons, *document.extra_reasons]
        status = "needs_review"
    order = list(Reason)
    ordered = sorted(set(reasons), key=order.index)
    return status, [str(reason) for reason in ordered]


def _form_reasons(document: SampleDocument, as_of: date) -> list[Reason]:
    fields = document.fields
    reasons: list[Reason] = []
    if not document.signed:
        reasons.append(Reason.SIGNATURE_MISSING)
    if document.signature_date is None:
        reasons.append(Reason.SIGNATURE_DATE_MISSING)
    elif document.signature_date > as_of:
        reasons.append(Reason.SIGNATURE_DATE_IN_FUTURE)
    if fields.get("representative_name") and not fields.get(
        "representative_authority"
    ):
        reasons.append(Reason.REPRESENTATIVE_AUTHORITY_MISSING)
    if document.doc_type != "third_party_release":
        return reasons

    if not document.xray_checked:
        reasons.append(Reason.XRAY_BOX_UNCHECKED)
    if not fields.get("release_to_name") or not fields.get("release_to_address"):
        reasons.append(Reason.RELEASE_TO_MISSING)
    if not fields.get("purpose"):
        reasons.append(Reason.HIPAA_PURPOSE_MISSING)
    expiry = fields.get("expiry_date")
    if not expiry and not fields.get("expiry_event"):
        reasons.append(Reason.HIPAA_EXPIRY_MISSING)
    elif expiry and date.fromisoformat(expiry) < as_of:
        reasons.append(Reason.AUTHORIZATION_EXPIRED)
    return reasons


def _letter_reasons(document: SampleDocument) -> list[Reason]:
    fields = document.fields
    reasons: list[Reason] = []
    if not fields.get("patient_name"):
        reasons.append(Reason.PATIENT_NAME_MISSING)
    if not fields.get("date_of_birth"):
        reasons.append(Reason.DATE_OF_BIRTH_MISSING)
    if not fields.get("exam_date") and not fields.get("exam_description"):
        reasons.append(Reason.EXAM_MISSING)
    return reasons


def applicable_fields(document: SampleDocument) -> tuple[str, ...]:
    """Return the fields that apply to this document's type."""
    if document.doc_type == "other" and any(
        reason in (Reason.LEGAL_REQUEST, Reason.REPORT_ONLY_REQUEST)
        for reason in document.extra_reasons
    ):
        return REQUEST_FIELDS
    return APPLICABLE_FIELDS[document.doc_type]


def truth_record(document: SampleDocument, source: str, pages: list[int],
                 transport: str, request_id: str | None,
                 as_of: date) -> dict[str, Any]:
    """Build the truth object of one document.

    Raises:
        ValueError: when the rules do not produce a reason the generator
            meant to cause, which means the drawing and the plan disagree.
    """
    status, reasons = expected_status(document, as_of)
    missing = [code for code in document.intended_defects if code not in reasons]
    if missing:
        raise ValueError(
            f"{source} pages {pages}: planned defects {missing} do not follow "
            f"from the drawn content (reasons {reasons})"
        )

    applicable = applicable_fields(document)
    fields = {key: document.fields.get(key) if key in applicable else None
              for key in FIELD_KEYS}
    is_form = document.doc_type in FORM_TYPES
    checks: dict[str, Any] = dict.fromkeys(CHECK_KEYS)
    checks.update({
        "signed": document.signed if is_form else None,
        "signature_date": (document.signature_date.isoformat()
                           if is_form and document.signature_date else None),
        "xray_scan_reports_checked": (
            document.xray_checked if document.doc_type == "third_party_release"
            else None
        ),
    })
    return {
        "source": source,
        "pages": pages,
        "doc_type": document.doc_type,
        "language": document.language,
        "edition": document.edition,
        "fields": fields,
        "checks": checks,
        "blank_fields": _blank_fields(document, applicable),
        "status": status,
        "reasons": reasons,
        "transport": transport,
        "request_id": request_id,
        "notes": document.notes,
    }


def _blank_fields(document: SampleDocument,
                  applicable: tuple[str, ...]) -> list[str]:
    """List the applicable fields left empty, and an absent signature or date."""
    blank = [name for name in applicable if not document.fields.get(name)]
    if document.doc_type in FORM_TYPES:
        if not document.signed:
            blank.append("signature")
        if document.signature_date is None:
            blank.append("signature_date")
    return blank


def write_truth(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write truth records as JSON lines, keys in a fixed order."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


REQUEST_COLUMNS = (
    "request_id", "requester_type", "patient_name", "date_of_birth", "mrn",
    "exam_date", "exam_description", "requester_name", "requester_contact",
)


def write_requests(path: Path, rows: list[dict[str, str]]) -> None:
    """Write the open-request list as CSV with ``REQUEST_COLUMNS``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REQUEST_COLUMNS,
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in
                             REQUEST_COLUMNS})


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest as indented JSON with a final newline."""
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
