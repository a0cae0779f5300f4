"""The intake exception hierarchy.

Every error that stops a file from being read is an ``IntakeError`` carrying
a ``Reason`` code, the file it concerns and a message that tells the operator what to do.
The pipeline turns these into quarantined records; nothing else should
catch them.
"""

from __future__ import annotations

from pathlib import Path

from intake.reasons import Reason


class IntakeError(Exception):
    """A file that cannot be processed, with its reason code."""

    reason: Reason = Reason.FILE_CORRUPT
    advice = "Ask the sender to send the document again."

    def __init__(self, path: Path | str, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        # Library messages often end in a period of their own.
        super().__init__(f"{self.path}: {detail.rstrip('.')}. {self.advice}")

    def __reduce__(self) -> tuple[type[IntakeError], tuple[Path, str]]:
        # Rebuild from the constructor's arguments, so that the error crosses
        # process boundaries (Exception's default passes the formatted text).
        return (type(self), (self.path, self.detail))


class EmptyFileError(IntakeError):
    reason = Reason.FILE_EMPTY
    advice = "The transfer probably failed; ask the sender to send it again."


class CorruptFileError(IntakeError):
    reason = Reason.FILE_CORRUPT


class TruncatedFileError(IntakeError):
    reason = Reason.FILE_TRUNCATED
    advice = "The transfer was cut short; ask the sender to send it again."


class EncryptedFileError(IntakeError):
    reason = Reason.FILE_ENCRYPTED
    advice = (
        "Ask the sender for an unprotected copy, or open it with the password "
        "and save it without one."
    )


class FileTooLargeError(IntakeError):
    reason = Reason.FILE_TOO_LARGE
    advice = (
        "If the file is genuine, raise INTAKE_MAX_PAGE_PIXELS or "
        "INTAKE_MAX_PAGES and process it again."
    )


class UnsupportedFormatError(IntakeError):
    reason = Reason.UNSUPPORTED_FORMAT
    advice = "Only PDF, TIFF, PNG, JPEG, GIF, BMP and PNM files are processed."


class OcrError(IntakeError):
    reason = Reason.OCR_FAILED
    advice = "Check the tesseract installation (`tesseract --list-langs`)."


class OcrTimeoutError(IntakeError):
    reason = Reason.OCR_TIMEOUT
    advice = (
        "The page may be damaged; if it is genuine, raise "
        "INTAKE_OCR_TIMEOUT and process it again."
    )


class ConfigError(Exception):
    """An invalid setting; the message names the variable and the fix."""
