"""Settings, read from ``INTAKE_*`` environment variables.

Each setting has a default constant here; ``Settings.from_env`` validates
every value at startup and names the variable in its error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
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

    def __post_init__(self) -> None:
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
                f"INTAKE_WORKERS must be 0 (one per core) or more, got {self.workers}"
            )

    @property
    def worker_count(self) -> int:
        return self.workers or _default_workers()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
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
