"""Machine-readable reason codes.

Every status a document gets comes with a list of these codes. The human
text for each is in ``DESCRIPTIONS`` and in docs/output-format.md; keep the
two in step (a test compares them).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # A file that could not be read at all: the whole file is quarantined.
    FILE_EMPTY = "file_empty"
    FILE_CORRUPT = "file_corrupt"
    FILE_TRUNCATED = "file_truncated"
    FILE_ENCRYPTED = "file_encrypted"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    OCR_FAILED = "ocr_failed"
    OCR_TIMEOUT = "ocr_timeout"
    INTERNAL_ERROR = "internal_error"

    # Classification and reading.
    TYPE_UNCERTAIN = "type_uncertain"
    NOT_A_RELEASE_DOCUMENT = "not_a_release_document"
    PAGE_UNREADABLE = "page_unreadable"
    ORIENTATION_UNCERTAIN = "orientation_uncertain"

    # Signature and date, on both authorization forms.
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_UNCERTAIN = "signature_uncertain"
    SIGNATURE_DATE_MISSING = "signature_date_missing"
    SIGNATURE_DATE_UNREADABLE = "signature_date_unreadable"
    SIGNATURE_DATE_IN_FUTURE = "signature_date_in_future"

    # Third-party release: the x-ray box, the recipient and the HIPAA
    # elements of a valid authorization (45 CFR 164.508(c)).
    XRAY_BOX_UNCHECKED = "xray_box_unchecked"
    XRAY_BOX_UNCERTAIN = "xray_box_uncertain"
    RELEASE_TO_MISSING = "release_to_missing"
    HIPAA_INFORMATION_MISSING = "hipaa_information_missing"
    HIPAA_RELEASER_MISSING = "hipaa_releaser_missing"
    HIPAA_PURPOSE_MISSING = "hipaa_purpose_missing"
    HIPAA_EXPIRY_MISSING = "hipaa_expiry_missing"
    AUTHORIZATION_EXPIRED = "authorization_expired"
    REPRESENTATIVE_AUTHORITY_MISSING = "representative_authority_missing"

    # Letterhead requests from outside physicians.
    PATIENT_NAME_MISSING = "patient_name_missing"
    DATE_OF_BIRTH_MISSING = "date_of_birth_missing"
    EXAM_MISSING = "exam_missing"

    # Routing: the request is not one this desk fills on its own.
    REPORT_ONLY_REQUEST = "report_only_request"
    LEGAL_REQUEST = "legal_request"

    # The watched inbox: the same paper scanned again.
    LIKELY_DUPLICATE = "likely_duplicate"


DESCRIPTIONS: dict[Reason, str] = {
    Reason.FILE_EMPTY: "The file has no bytes.",
    Reason.FILE_CORRUPT: "The file is damaged or is not the format its name or "
    "header claims.",
    Reason.FILE_TRUNCATED: "The file ends before its data does (an interrupted "
    "transfer).",
    Reason.FILE_ENCRYPTED: "The PDF needs a password to open.",
    Reason.FILE_TOO_LARGE: "A page would decode to more pixels than the limit "
    "(a decompression bomb), or the file has more pages than the limit.",
    Reason.UNSUPPORTED_FORMAT: "The file is not a PDF, TIFF or image.",
    Reason.OCR_FAILED: "Tesseract failed on a page.",
    Reason.OCR_TIMEOUT: "Tesseract did not finish a page within the time limit.",
    Reason.INTERNAL_ERROR: "The intake code failed on this file. This is a "
    "bug: report it with the log line's document id.",
    Reason.TYPE_UNCERTAIN: "The classifier's confidence is under the threshold "
    "for acting on its answer.",
    Reason.NOT_A_RELEASE_DOCUMENT: "The document is none of the center's forms, "
    "a physician's request or a fax cover sheet.",
    Reason.PAGE_UNREADABLE: "A page yielded too little confident text to "
    "classify or check it.",
    Reason.ORIENTATION_UNCERTAIN: "The page's orientation could not be "
    "confirmed.",
    Reason.SIGNATURE_MISSING: "The signature area is empty.",
    Reason.SIGNATURE_UNCERTAIN: "The signature area has marks, but too few or "
    "too faint to call it signed.",
    Reason.SIGNATURE_DATE_MISSING: "The date beside the signature is empty.",
    Reason.SIGNATURE_DATE_UNREADABLE: "The date beside the signature could not "
    "be read as a date.",
    Reason.SIGNATURE_DATE_IN_FUTURE: "The signature date is later than the day "
    "the document was processed.",
    Reason.XRAY_BOX_UNCHECKED: "The x-rays/scan reports box is not ticked.",
    Reason.XRAY_BOX_UNCERTAIN: "The x-rays/scan reports box could not be "
    "found or its mark is ambiguous.",
    Reason.RELEASE_TO_MISSING: "The release-to name or address is empty.",
    Reason.HIPAA_INFORMATION_MISSING: "No information to be released is "
    "ticked.",
    Reason.HIPAA_RELEASER_MISSING: "The form does not name who releases the "
    "information.",
    Reason.HIPAA_PURPOSE_MISSING: "The purpose of the disclosure is empty.",
    Reason.HIPAA_EXPIRY_MISSING: "No expiry date or event is given.",
    Reason.AUTHORIZATION_EXPIRED: "The expiry date has passed.",
    Reason.REPRESENTATIVE_AUTHORITY_MISSING: "Someone other than the patient "
    "signed, and the form does not state their authority.",
    Reason.PATIENT_NAME_MISSING: "The request does not name the patient.",
    Reason.DATE_OF_BIRTH_MISSING: "The request gives no date of birth.",
    Reason.EXAM_MISSING: "The request names no exam (date or description).",
    Reason.REPORT_ONLY_REQUEST: "The request asks for the report alone; route "
    "it to Medical Records.",
    Reason.LEGAL_REQUEST: "The request comes from a law firm or is for a legal "
    "purpose; it needs individual handling.",
    Reason.LIKELY_DUPLICATE: "The file looks like a re-scan of a file the "
    "watched inbox processed earlier. A person decides whether this copy is "
    "needed. The status history names the earlier file's queue id.",
}
