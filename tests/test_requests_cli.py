from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from intake import store
from intake.cli import main
from intake.settings import Settings
from intake.types import Check, Document, FieldValue, Page
from matchers.match import match_stored_document, thresholds_from

CSV = (
    "request_id,requester_type,patient_name,date_of_birth,mrn,exam_date,"
    "exam_description,requester_name,requester_contact\n"
    "REQ-1,patient,Ana Ruiz Soto,1971-04-09,00451273,2026-02-10,CT chest,,\n"
    "REQ-2,inside_physician,Eva Ruiz Soto,1971-04-09,,2026-03-13,CT head,"
    "Daniel Achebe MD,ext. 4504\n"
)


def store_form(url: str) -> None:
    engine = store.open_database(url)
    page = Page(source=Path("f.tif"), number=1, image=Image.new("L", (10, 10)), dpi=200)
    document = Document(source=Path("f.tif"), pages=[page], doc_type="release_images")
    document.doc_id = "doc-cli"
    document.status = "accepted"
    document.fields = {
        "patient_name": FieldValue("Ana Ruiz Soto", 0.9),
        "date_of_birth": FieldValue("1971-04-09", 0.9),
        "exam_date": FieldValue("2026-02-10", 0.9),
    }
    document.checks = {"signed": Check("signed", True, 0.95)}
    source = store.save_source(
        engine, store.SourceFile(path="f.tif", sha256="2", size=1)
    )
    assert source.id is not None
    store.save_document(engine, source.id, document)
    match_stored_document(
        engine, document, source.id, date(2026, 3, 16), thresholds_from(Settings())
    )


def test_import_list_and_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    requests = tmp_path / "requests.csv"
    requests.write_text(CSV, encoding="utf-8")
    today = ["--db", url, "--today", "2026-03-16"]

    assert main(["requests", "import", str(requests), *today]) == 0
    assert "2 request(s) stored" in capsys.readouterr().out
    store_form(url)

    assert main(["requests", "list", *today]) == 0
    listed = capsys.readouterr().out
    assert "REQ-1  patient  waiting_for_forms" in listed
    assert "document doc-cli  release_images  accepted  attached by matcher" in listed
    assert "REQ-2  inside_physician  waiting_for_images" in listed

    assert main(["requests", "show", "REQ-1", *today]) == 0
    shown = capsys.readouterr().out
    assert "patient_name     exact" in shown
    assert "date_of_birth    exact" in shown
    assert "document doc-cli attached (matcher)" in shown

    assert (
        main(["requests", "list", "--json", "--status", "waiting_for_images", *today])
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["request_id"] for row in rows] == ["REQ-2"]
    assert rows[0]["reasons"] == ["images_not_ready"]


def test_list_brings_status_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    requests = tmp_path / "requests.csv"
    requests.write_text(CSV, encoding="utf-8")
    main(["requests", "import", str(requests), "--db", url, "--today", "2026-03-16"])
    capsys.readouterr()
    main(["requests", "show", "REQ-2", "--json", "--db", url, "--today", "2026-03-17"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "complete"
    assert [change["status"] for change in shown["history"]] == [
        "waiting_for_images",
        "complete",
    ]
    assert shown["history"][1]["cause"] == "status as of 2026-03-17"


def test_import_errors_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text(
        CSV.replace("1971-04-09,00451273", "1971-04-31,00451273"), encoding="utf-8"
    )
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["requests", "import", str(requests), "--db", url]) == 1
    error = capsys.readouterr().err
    assert f"{requests}, line 2, column date_of_birth: is not a valid date" in error
    assert "nothing was stored" in error
    assert main(["requests", "import", str(tmp_path / "none.csv"), "--db", url]) == 2


def test_show_unknown_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["requests", "show", "REQ-404", "--db", url]) == 1
    assert "request 'REQ-404' not found" in capsys.readouterr().err


def test_close_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    requests = tmp_path / "requests.csv"
    requests.write_text(CSV, encoding="utf-8")
    today = ["--db", url, "--today", "2026-03-16"]
    main(["requests", "import", str(requests), *today])
    capsys.readouterr()

    closing = ["requests", "close", "REQ-1", "--reason", "filled in person"]
    assert main([*closing, "--by", "kim", *today]) == 0
    assert "request REQ-1 closed" in capsys.readouterr().out
    main(["requests", "show", "REQ-1", "--json", *today])
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "closed"
    assert shown["history"][-1]["status"] == "closed"
    assert shown["history"][-1]["detail"] == "filled in person"
    assert shown["history"][-1]["actor"] == "reviewer:kim"

    # A form for the closed request's patient is no longer matched to it.
    store_form(url)
    main(["requests", "show", "REQ-1", "--json", *today])
    assert json.loads(capsys.readouterr().out)["documents"] == []

    assert main([*closing, *today]) == 1
    assert "already closed" in capsys.readouterr().err
    assert main(["requests", "close", "REQ-404", "--reason", "x", *today]) == 1
    assert "request 'REQ-404' not found" in capsys.readouterr().err
    assert main(["requests", "close", "REQ-2", "--reason", " ", *today]) == 1
    assert "reason for closing is empty" in capsys.readouterr().err
