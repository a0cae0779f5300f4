"""Every public sample file is read or rejected with an IntakeError.

The files come from other projects' test suites (faxes, scans, damaged and
hostile files). Each one must come out of ``read_file`` as pages or as an
``IntakeError`` subclass, never as another exception or a hang.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    FileTooLargeError,
    IntakeError,
    TruncatedFileError,
)
from intake.settings import Settings
from ocr.reader import read_file

REAL = Path(__file__).parents[2] / "shared" / "data" / "real"


def real_files() -> list[Path]:
    if not REAL.is_dir():
        return []
    return sorted(
        path for path in REAL.rglob("*") if path.is_file() and path.suffix != ".tsv"
    )


EXPECTED_ERRORS: dict[str, type[IntakeError]] = {
    "pdf/empty.pdf": EmptyFileError,
    "pdf/invalid.pdf": CorruptFileError,
    "pdf/aes-128.pdf": EncryptedFileError,
    "pdf/rc4-40.pdf": EncryptedFileError,
    "pdf/password-example.pdf": EncryptedFileError,
    "images/decompression_bomb.gif": FileTooLargeError,
    "images/truncated_end_chunk.png": TruncatedFileError,
    "images/crash-0c7e0e8e11ce787078f00b5b0ca409a167f070e0.tif": TruncatedFileError,
    "images/crash-2020-10-test.tif": CorruptFileError,
}
"""Files that must be rejected, with the reason they must get."""

EXPECTED_TEXT: dict[str, str] = {
    "fax/itu1.pbm": "SLEREXE",
    "fax/pport_g4.tif": "passport",
    "fax/g4_orientation_3.tif": "test file",
    "fax/g4_orientation_6.tif": "test file",
    "pdf/skew.pdf": "LinnSequencer",
    "pdf/rotated_skew.pdf": "LinnSequencer",
    "pdf/ccitt.pdf": "LinnSequencer",
    "pdf/f1040nr.pdf": "Nonresident Alien",
}
"""Text that the first page of a readable file must contain, once upright."""


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    real_files()
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"{REAL} is absent"))],
    ids=lambda path: str(path.relative_to(REAL)) if path else "absent",
)
def test_real_file_is_read_or_rejected(path: Path) -> None:
    name = path.relative_to(REAL).as_posix()

    try:
        pages = read_file(path, Settings(workers=1))
    except IntakeError as error:
        print(f"{name}: rejected, {type(error).__name__}: {error.detail}")
        assert str(path) in str(error)
        if name in EXPECTED_ERRORS:
            assert isinstance(error, EXPECTED_ERRORS[name])
        return

    summary = ", ".join(
        f"p{page.number} {page.image.width}x{page.image.height} "
        f"turned {page.rotation} skew {page.skew} {page.language} "
        f"{len(page.words)} words"
        f"{' (text layer)' if page.has_text_layer else ''}"
        for page in pages
    )
    print(f"{name}: read, {summary}")
    assert name not in EXPECTED_ERRORS, f"expected {EXPECTED_ERRORS.get(name)}"
    assert pages
    for page in pages:
        assert page.image.mode == "L"
        assert page.language in ("en", "es")
    if name in EXPECTED_TEXT:
        assert EXPECTED_TEXT[name] in pages[0].text
