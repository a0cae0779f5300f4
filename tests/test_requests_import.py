from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake import store
from intake.settings import Settings
from matchers.match import add_requests, thresholds_from
from matchers.models import ImageRequest
from matchers.request_files import read_requests
from matchers.requests import InvalidRequestError

TODAY = date(2026, 3, 16)
HEADER = (
    "request_id,requester_type,patient_name,date_of_birth,mrn,exam_date,"
    "exam_description,requester_name,requester_contact\n"
)
GOOD_ROW = "REQ-1,patient,Ana Ruiz Soto,1971-04-09,00451273,2026-02-10,CT chest,,\n"
PHYSICIAN_ROW = (
    "REQ-2,outside_physician,William Whitaker,1980-12-01,,2026-02-11,MRI left knee,"
    '"Rebecca Thornton, MD",(503) 555-0148\n'
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InvalidRequestError) as caught:
        read_requests(path, TODAY)
    return [str(problem) for problem in caught.value.problems]


def test_csv_rows_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, "requests.csv", "\ufeff" + HEADER + GOOD_ROW + "\n" + PHYSICIAN_ROW
    )
    batch = read_requests(path, TODAY)
    first, second = batch.requests
    assert first.request_id == "REQ-1"
    assert first.date_of_birth == date(1971, 4, 9)
    assert first.requester_name == "Ana Ruiz Soto"  # a patient requests for themself
    assert first.scope == "images"
    assert second.requester_name == "Rebecca Thornton, MD"
    assert second.mrn is None
    assert batch.lines == {"REQ-1": 2, "REQ-2": 4}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "REQ-9,patient,Ana Ruiz,1971-13-09,,2026-02-10,CT,,\n",
            "line 2, column date_of_birth: is not a valid date; write it as YYYY-MM-DD",
        ),
        (
            "REQ-9,patient,Ana Ruiz,04/09/1971,,2026-02-10,CT,,\n",
            "line 2, column date_of_birth: is not a valid date",
        ),
        (
            "REQ-9,lawyer,Ana Ruiz,1971-04-09,,2026-02-10,CT,,\n",
            (
                "line 2, column requester_type: 'lawyer' is not one of patient, "
                "inside_physician, outside_physician, legal"
            ),
        ),
        (
            "REQ-9,patient,,1971-04-09,,2026-02-10,CT,,\n",
            "line 2, column patient_name: is empty or has no letters",
        ),
        (
            "REQ-9,patient,Ana Ruiz,2030-01-01,,2026-02-10,CT,,\n",
            "line 2, column date_of_birth: is after today",
        ),
        (
            "REQ-9,patient,Ana Ruiz,1971-04-09,,1970-02-10,CT,,\n",
            "line 2, column exam_date: is before the date of birth",
        ),
        (
            "REQ-9,patient,Ana Ruiz,1971-04-09,,,CT,,\n",
            "line 2, column exam_date: is empty",
        ),
        (
            "REQ-9,legal,Ana Ruiz,1971-04-09,,2026-02-10,CT,,\n",
            "line 2, column requester_name: is empty; a legal request must name",
        ),
        (
            "REQ 9,patient,Ana Ruiz,1971-04-09,,2026-02-10,CT,,\n",
            "line 2, column request_id: 'REQ 9' is not a valid request id",
        ),
        (
            "REQ-9,patient,Ana Ruiz,1971-04-09,12#45,2026-02-10,CT,,\n",
            "line 2, column mrn: is not a record number",
        ),
        (
            "REQ-9,patient,Ana Ruiz,1971-04-09,,2026-02-10,CT,,,extra\n",
            "line 2, column -: has more values than the header row has columns",
        ),
        (
            "REQ-9,patient,Ana Ruiz,1971-04-09\n",
            "line 2, column mrn: is missing: the line has fewer values than the header row",
        ),
    ],
)
def test_bad_csv_row_names_file_line_and_column(
    tmp_path: Path, row: str, expected: str
) -> None:
    path = write(tmp_path, "requests.csv", HEADER + row)
    problems = problems_of(path)
    assert len(problems) >= 1
    assert problems[0].startswith(f"{path}, {expected}")


def test_errors_do_not_repeat_patient_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requests.csv",
        HEADER + "REQ-9,patient,Ana Ruiz,1971-13-09,A#1,2026-02-10,CT,,\n",
    )
    text = "\n".join(problems_of(path))
    assert "1971-13-09" not in text
    assert "A#1" not in text
    assert "Ana Ruiz" not in text


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    rows = (
        GOOD_ROW
        + "REQ-3,patient,Eva,1971-13-09,,2026-02-10,CT,,\n"
        + GOOD_ROW.replace("Ana", "Eve")
    )
    problems = problems_of(write(tmp_path, "requests.csv", HEADER + rows))
    assert problems == [
        (
            f"{tmp_path / 'requests.csv'}, line 3, column date_of_birth: is not a valid "
            "date; write it as YYYY-MM-DD"
        ),
        (
            f"{tmp_path / 'requests.csv'}, line 4, column request_id: 'REQ-1' is also "
            "on line 2"
        ),
    ]


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    missing = write(tmp_path, "a.csv", "request_id,patient_name\nR,Ana\n")
    unknown = write(
        tmp_path, "b.csv", HEADER.strip() + ",ward\n" + GOOD_ROW.strip() + ",4B\n"
    )
    assert problems_of(missing)[0] == (
        f"{missing}, line 1, column requester_type: is missing from the header row"
    )
    assert problems_of(unknown) == [
        (
            f"{unknown}, line 2, column ward: is not a known column; use request_id, "
            "requester_type, patient_name, date_of_birth, exam_date, mrn, "
            "exam_description, requester_name, requester_contact, scope"
        )
    ]


def test_json_array_reports_each_objects_line(tmp_path: Path) -> None:
    text = """[
  {"request_id": "REQ-1", "requester_type": "patient",
   "patient_name": "Ana Ruiz", "date_of_birth": "1971-04-09",
   "exam_date": "2026-02-10", "mrn": 451273},
  {"request_id": "REQ-2", "requester_type": "patient",
   "patient_name": "Eva Ruiz", "date_of_birth": "1971-04-32",
   "exam_date": "2026-02-10"}
]
"""
    path = write(tmp_path, "requests.json", text)
    assert problems_of(path) == [
        (
            f"{path}, line 5, column date_of_birth: is not a valid date; write it as "
            "YYYY-MM-DD"
        )
    ]
    fixed = write(tmp_path, "fixed.json", text.replace("04-32", "04-30"))
    batch = read_requests(fixed, TODAY)
    assert [r.request_id for r in batch.requests] == ["REQ-1", "REQ-2"]
    assert batch.requests[0].mrn == "451273"


def test_json_lines_and_broken_json(tmp_path: Path) -> None:
    lines = (
        '{"request_id": "REQ-1", "requester_type": "inside_physician", '
        '"patient_name": "Ana Ruiz", "date_of_birth": "1971-04-09", '
        '"exam_date": "2026-02-10", "requester_name": "Daniel Achebe, MD"}\n'
        '{"request_id": "REQ-2", "patient_name": ["Eva"]}\n'
    )
    path = write(tmp_path, "requests.jsonl", lines)
    problems = problems_of(path)
    assert (
        f"{path}, line 2, column requester_type: '' is not one of patient, "
        "inside_physician, outside_physician, legal"
    ) in problems
    assert f"{path}, line 2, column patient_name: must be a string" in problems
    broken = write(tmp_path, "broken.json", '[{"request_id": "REQ-1",\n "x": }]')
    assert problems_of(broken)[0].startswith(
        f"{broken}, line 2, column -: invalid JSON"
    )


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    assert problems_of(path)[0].startswith(f"{path}, column -: cannot be read")


def test_import_twice_and_conflicting_id(tmp_path: Path) -> None:
    engine = store.open_database("sqlite://")
    thresholds = thresholds_from(Settings())
    path = write(tmp_path, "requests.csv", HEADER + GOOD_ROW + PHYSICIAN_ROW)
    first = add_requests(
        engine, read_requests(path, TODAY), TODAY, thresholds, "import"
    )
    again = add_requests(
        engine, read_requests(path, TODAY), TODAY, thresholds, "import"
    )
    assert first.created == ["REQ-1", "REQ-2"]
    assert again.created == []
    assert again.unchanged == ["REQ-1", "REQ-2"]

    changed = write(
        tmp_path,
        "changed.csv",
        HEADER
        + GOOD_ROW.replace("CT chest", "CT head")
        + GOOD_ROW.replace("REQ-1", "REQ-3"),
    )
    with pytest.raises(InvalidRequestError) as caught:
        add_requests(engine, read_requests(changed, TODAY), TODAY, thresholds, "import")
    assert [str(p) for p in caught.value.problems] == [
        (
            f"{changed}, line 2, column request_id: 'REQ-1' is already stored with other "
            "values; give the changed request a new id"
        )
    ]
    with Session(engine) as session:
        assert session.exec(select(ImageRequest.id)).all() == ["REQ-1", "REQ-2"]
