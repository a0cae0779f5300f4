from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intake import evaluate
from intake.errors import ConfigError


def doc(
    pages: list[int], doc_type: str, status: str = "accepted", **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "source": "fax-0001.tif",
        "pages": pages,
        "doc_type": doc_type,
        "status": status,
        "fields": {"patient_name": None, "date_of_birth": None, "exam_date": None},
        "checks": {"signed": None, "xray_scan_reports_checked": None},
    }
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_scores_split_type_checks_and_fields(tmp_path: Path) -> None:
    truth = [
        doc([1], "fax_cover"),
        doc(
            [2, 3],
            "physician_request",
            fields={
                "patient_name": "José Núñez",
                "date_of_birth": "1970-01-02",
                "exam_date": None,
            },
        ),
        doc(
            [4],
            "release_images",
            checks={"signed": True, "xray_scan_reports_checked": None},
        ),
        doc(
            [5],
            "third_party_release",
            status="rejected",
            checks={"signed": True, "xray_scan_reports_checked": False},
        ),
    ]
    predicted = [
        doc([1], "fax_cover"),
        doc(
            [2, 3],
            "physician_request",
            fields={
                "patient_name": "JOSE NUNEZ",
                "date_of_birth": "1970-02-01",
                "exam_date": None,
            },
        ),
        doc(
            [4, 5],
            "release_images",
            checks={"signed": True, "xray_scan_reports_checked": None},
        ),
    ]
    write_jsonl(tmp_path / "fax-0001.tif.truth.jsonl", truth)
    write_jsonl(tmp_path / "pred.jsonl", predicted)

    scores = evaluate.score(
        evaluate.load_truth(tmp_path),
        evaluate.load_predictions(tmp_path / "pred.jsonl"),
    )

    assert (scores.tally("split").right, scores.tally("split").total) == (2, 4)
    assert (scores.tally("doc_type").right, scores.tally("doc_type").total) == (3, 4)
    assert scores.tally("patient_name").rate == 1.0
    assert scores.tally("date_of_birth").rate == 0.0
    assert scores.tally("exam_date").total == 0
    assert scores.accepted_wrong_type == ["fax-0001.tif pages [4, 5]"]
    assert any("split" in line for line in scores.failures())


def test_missing_truth_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        evaluate.load_truth(tmp_path)
    assert "samples.generate" in str(caught.value)


def test_invalid_predictions_line_is_named(tmp_path: Path) -> None:
    predictions = tmp_path / "out.jsonl"
    predictions.write_text('{"source": "a.pdf"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        evaluate.load_predictions(predictions)
    assert "out.jsonl, line 2: invalid JSON" in str(caught.value)


def test_missing_predictions_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        evaluate.load_predictions(tmp_path / "none.jsonl")
    assert "none.jsonl: cannot be read" in str(caught.value)


def test_names_compare_without_case_accents_or_punctuation() -> None:
    same = evaluate._same_value
    assert same("BJORN O'BRIEN", "Bjørn O’Brien")
    assert same("Bjorn OBrien", "Bjørn O'Brien")
    assert same("Anne Marie Dubois", "Anne-Marie Dubois")
    assert same("Strasse", "Straße")
    assert same("Inaki  Pena", "Iñaki Peña")
    assert not same("Bjorn Brien", "Bjørn Castellano")
    assert not same(None, "Bjørn")
