"""The JSON Lines output: one object per document, in the documented shape.

docs/output-format.md describes every key; tests compare the two.
"""

from __future__ import annotations

from typing import Any

from intake.reasons import Reason
from intake.types import FIELD_NAMES, Document

OUTPUT_CHECKS = ("signed", "signature_date", "xray_scan_reports_checked")


def document_record(document: Document, source: str) -> dict[str, Any]:
    """Build the output object for one document."""
    fields = {name: None for name in FIELD_NAMES}
    for name in FIELD_NAMES:
        value = document.fields.get(name)
        if value is not None:
            fields[name] = value.value
    return {
        "source": source,
        "document_id": document.doc_id,
        "pages": document.page_numbers,
        "doc_type": document.doc_type,
        "language": document.language,
        "confidence": round(document.confidence, 3),
        "fields": fields,
        "checks": _checks(document),
        "status": document.status,
        "reasons": list(document.reasons),
        "match": dict(document.match),
    }


def _checks(document: Document) -> dict[str, Any]:
    # NOTE: a reading below decide.MIN_CHECK_CONFIDENCE is still output as
    # true or false, and only the document's reasons show that it is weak.
    checks: dict[str, Any] = {name: None for name in OUTPUT_CHECKS}
    signed = document.checks.get("signed")
    if signed is not None:
        checks["signed"] = signed.passed
    signature_date = document.checks.get("signature_date")
    if signature_date is not None:
        checks["signature_date"] = signature_date.value
    box = document.checks.get("xray_scan_reports_checked")
    if box is not None:
        checks["xray_scan_reports_checked"] = box.passed
    return checks


def quarantined_record(source: str, reason: Reason, message: str) -> dict[str, Any]:
    """Build the output object for a file that could not be processed."""
    return {
        "source": source,
        "document_id": None,
        "pages": [],
        "doc_type": None,
        "language": None,
        "confidence": None,
        "fields": {name: None for name in FIELD_NAMES},
        "checks": {name: None for name in OUTPUT_CHECKS},
        "status": "quarantined",
        "reasons": [str(reason)],
        "message": message,
        "match": {"request_id": None, "score": None, "band": None},
    }
