"""End-to-end runs of ``intake process`` as a subprocess on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, shared_data

STATUSES = {"accepted", "needs_review", "rejected", "quarantined"}


def run_intake(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        env={"PYTHONPATH": str(REPO), "OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_every_real_file_is_processed_or_quarantined(tmp_path: Path) -> None:
    real = shared_data("real")
    files = sorted(
        p for p in real.rglob("*") if p.is_file() and p.name != "SOURCES.tsv"
    )
    out = tmp_path / "real.jsonl"

    result = run_intake(
        "process",
        *map(str, files),
        "--out",
        str(out),
        "--db",
        f"sqlite:///{tmp_path}/intake.db",
        "--quarantine",
        str(tmp_path / "quarantine"),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    records = read_jsonl(out)
    by_source: dict[str, list[dict]] = {}
    for record in records:
        by_source.setdefault(record["source"], []).append(record)
    for path in files:
        got = by_source.get(str(path))
        assert got, f"{path.name} produced no record"
        statuses = {r["status"] for r in got}
        print(f"{path.relative_to(real)}: {sorted(statuses)} {got[0]['reasons']}")
        assert statuses <= STATUSES
        for record in got:
            if record["status"] == "quarantined":
                assert path.name in record["message"]
                assert record["reasons"], path.name
    quarantined = {r["source"] for r in records if r["status"] == "quarantined"}
    notes = list((tmp_path / "quarantine").glob("*.reason.json"))
    assert len(notes) == len(quarantined)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    result = run_intake("process", str(tmp_path / "nope.pdf"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.pdf: no such file or folder" in result.stderr


def _process_empty_file(
    tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    database = f"sqlite:///{tmp_path / 'intake.db'}"
    quarantine = str(tmp_path / "quarantine")
    arguments = ["process", str(empty), "--db", database, "--quarantine", quarantine]
    return run_intake(*arguments, *options, cwd=tmp_path)


def test_quarantined_file_named_on_stderr(tmp_path: Path) -> None:
    result = _process_empty_file(tmp_path)
    assert result.returncode == 0
    assert f"intake: quarantined {tmp_path / 'empty.pdf'}" in result.stderr
    assert "1 file, 1 document\n" in result.stderr


def test_negative_workers_names_option(tmp_path: Path) -> None:
    result = _process_empty_file(tmp_path, "--workers", "-1")
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_unwritable_output_is_an_error(tmp_path: Path) -> None:
    result = _process_empty_file(tmp_path, "--out", str(tmp_path / "no" / "out.jsonl"))
    assert result.returncode == 2
    assert "--out" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_an_error(tmp_path: Path) -> None:
    result = run_intake("process", str(tmp_path), "--db", "nonsense://x", cwd=tmp_path)
    assert result.returncode == 2
    assert "database (nonsense URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_names_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "intake.cli", "process", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            "PYTHONPATH": str(REPO),
            "INTAKE_OCR_TIMEOUT": "soon",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 2
    assert "INTAKE_OCR_TIMEOUT" in result.stderr


def test_progress_lines_without_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from intake.cli import _Progress

    progress = _Progress(25)
    for _ in range(25):
        progress.update()
    progress.close()
    lines = capsys.readouterr().err.splitlines()

    assert lines == ["10 of 25 files done", "20 of 25 files done"]


def test_error_message_has_one_period() -> None:
    from intake.errors import CorruptFileError

    error = CorruptFileError("scan.tif", "rejected as a decompression bomb attack.")

    assert "attack. Ask" in str(error)
    assert ".." not in str(error)
