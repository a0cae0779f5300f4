"""Settings, read from ``INTAKE_*`` environment variables.

Each setting has a default constant here; ``Settings.from_env`` validates
every value at startup and names the variable in its error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from intake.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///var/intake.db"
DEFAULT_QUARANTINE = Path("var/quarantine")
DEFAULT_OCR_TIMEOUT = 120.0
"""Seconds one page may take in tesseract before it is abandoned."""
DEFAULT_MAX_PAGES = 200
DEFAULT_MAX_PAGE_PIXELS = 120_000_000
"""Decoded pixels a page may have; a letter page at 600 dpi is 34 million."""
DEFAULT_OCR_DPI = 300
"""Resolution PDFs without a text layer are rasterized at."""
DEFAULT_INBOX = Path("var/inbox")
DEFAULT_ARCHIVE = Path("var/archive")
DEFAULT_QUIET_SECONDS = 5.0
"""Seconds a file's size and mtime must stay unchanged before it is read."""
DEFAULT_EMPTY_FILE_SECONDS = 300.0
"""Seconds a zero-byte file must stay empty before it is quarantined, because
some writers create the file long before they write to it."""
DEFAULT_POLL_INTERVAL = 5.0
"""Seconds between scans of the inbox when it is polled."""
DEFAULT_RESCAN_INTERVAL = 60.0
"""Seconds between safety-net scans when the inbox delivers events."""
DEFAULT_FILE_TIMEOUT = 1800.0
"""Seconds one file may take from start to end before its worker is killed."""
DEFAULT_MAX_ATTEMPTS = 3
"""Times a worker may die on one file before the file is quarantined."""
DEFAULT_DUPLICATE_DAYS = 30
"""Days back in which a re-scan of the same paper is flagged."""
POLLING_MODES = ("auto", "events", "poll")
DEFAULT_MATCH_AUTO_SCORE = 13.0
"""Lowest Fellegi-Sunter score (log2 units) attached to a request without a
person; docs/matching.md explains how it was set on the sample corpus."""
DEFAULT_MATCH_REVIEW_SCORE = 0.0
"""Lowest score of a request shown to a reviewer as a candidate."""
DEFAULT_MATCH_MARGIN = 5.0
"""How far the best score must lead the second for an automatic attachment."""
MIN_API_TOKEN_LENGTH = 24


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    quarantine_dir: Path = DEFAULT_QUARANTINE
    ocr_timeout: float = DEFAULT_OCR_TIMEOUT
    max_pages: int = DEFAULT_MAX_PAGES
    max_page_pixels: int = DEFAULT_MAX_PAGE_PIXELS
    ocr_dpi: int = DEFAULT_OCR_DPI
    workers: int = 0
    """Processes that OCR pages in parallel; 0 means one per available core."""
    inbox: Path = DEFAULT_INBOX
    """Folder that ``intake watch`` takes files from, subfolders included."""
    archive_dir: Path = DEFAULT_ARCHIVE
    """Folder that ``intake watch`` moves each finished file into."""
    quiet_seconds: float = DEFAULT_QUIET_SECONDS
    empty_file_seconds: float = DEFAULT_EMPTY_FILE_SECONDS
    poll_interval: float = DEFAULT_POLL_INTERVAL
    rescan_interval: float = DEFAULT_RESCAN_INTERVAL
    polling: str = "auto"
    """Mode the watcher finds new files in: auto, events or poll."""
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    duplicate_days: int = DEFAULT_DUPLICATE_DAYS
    match_auto_score: float = DEFAULT_MATCH_AUTO_SCORE
    match_review_score: float = DEFAULT_MATCH_REVIEW_SCORE
    match_margin: float = DEFAULT_MATCH_MARGIN
    api_token: str = field(default="", repr=False)
    """Bearer token the review screen's JSON API requires; empty rejects every call."""

    def __post_init__(self) -> None:
        self._validate_watch()
        self._validate_matching()
        if self.ocr_timeout <= 0:
            raise ConfigError(
                f"INTAKE_OCR_TIMEOUT must be a positive number of seconds, "
                f"got {self.ocr_timeout}"
            )
        for name in ("max_pages", "max_page_pixels", "ocr_dpi"):
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"INTAKE_{name.upper()} must be a positive integer, "
                    f"got {getattr(self, name)}"
                )
        if self.workers < 0:
            raise ConfigError(
                "INTAKE_WORKERS (or --workers) must be 0 (one per core) or more, "
                f"got {self.workers}"
            )

    def _validate_matching(self) -> None:
        if self.match_review_score >= self.match_auto_score:
            raise ConfigError(
                f"INTAKE_MATCH_REVIEW_SCORE must be lower than INTAKE_MATCH_AUTO_SCORE "
                f"({self.match_auto_score}), got {self.match_review_score}"
            )
        if self.match_margin <= 0:
            raise ConfigError(
                f"INTAKE_MATCH_MARGIN must be a positive score difference, "
                f"got {self.match_margin}"
            )
        if self.api_token and len(self.api_token) < MIN_API_TOKEN_LENGTH:
            raise ConfigError(
                f"INTAKE_API_TOKEN must be empty (API closed) or at least "
                f"{MIN_API_TOKEN_LENGTH} characters long, got "
                f"{len(self.api_token)} characters; generate one with "
                f"`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )

    def _validate_watch(self) -> None:
        for name in (
            "quiet_seconds",
            "poll_interval",
            "rescan_interval",
            "file_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"INTAKE_{name.upper()} must be a positive number of seconds, "
                    f"got {getattr(self, name)}"
                )
        if self.empty_file_seconds < self.quiet_seconds:
            raise ConfigError(
                f"INTAKE_EMPTY_FILE_SECONDS must be at least INTAKE_QUIET_SECONDS "
                f"({self.quiet_seconds}), got {self.empty_file_seconds}"
            )
        if self.max_attempts < 1:
            raise ConfigError(
                f"INTAKE_MAX_ATTEMPTS must be 1 or more, got {self.max_attempts}"
            )
        if self.duplicate_days < 0:
            raise ConfigError(
                f"INTAKE_DUPLICATE_DAYS must be 0 (no re-scan check) or more, "
                f"got {self.duplicate_days}"
            )
        if self.polling not in POLLING_MODES:
            raise ConfigError(
                f"INTAKE_POLLING must be one of {', '.join(POLLING_MODES)}, "
                f"got {self.polling!r}"
            )

    @property
    def worker_count(self) -> int:
        return self.workers or _default_workers()

    @classmethod
    def from_env(
        cls, environ: dict[str, str] | None = None, **overrides: object
    ) -> Settings:
        """Build settings from ``INTAKE_*`` variables, then apply overrides."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for spec in fields(cls):
            variable = f"INTAKE_{spec.name.upper()}"
            if variable not in environ:
                continue
            raw = environ[variable]
            values[spec.name] = _convert(variable, raw, spec.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _convert(variable: str, raw: str, kind: object) -> object:
    try:
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if kind in ("Path", Path):
            return Path(raw)
    except ValueError:
        raise ConfigError(
            f"{variable}={raw!r} is not a valid {kind}; set it to a number"
        ) from None
    return raw
