"""Open requests: validate them and store them.

Every row is checked before anything is stored, and a batch with any
invalid row is rejected whole. Each problem names the source, the line (or
the item of a request body) and the column. Error messages never repeat a
patient's name, date of birth or record number. Reading request files is
in ``matchers.request_files``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlmodel import Session, select

from matchers.models import ImageRequest
from matchers.score import RequestFacts
from matchers.status import RequestStatus

REQUESTER_TYPES = ("patient", "inside_physician", "outside_physician", "legal")
SCOPES = ("images", "report_only")
REQUIRED_COLUMNS = (
    "request_id", "requester_type", "patient_name", "date_of_birth", "exam_date",
)  # fmt: skip
COLUMNS = (
    *REQUIRED_COLUMNS, "mrn", "exam_description", "requester_name",
    "requester_contact", "scope",
)  # fmt: skip
"""Every column a request file may have; ``scope`` defaults to images."""
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RECORD_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{0,23}")
ISO_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
OLDEST_BIRTH_YEAR = 1900
MAX_TEXT_LENGTH = 300


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is and what is wrong with it."""

    source: str
    line: int | None
    """Line in a file, or the 1-based item in a request body (see ``unit``)."""
    column: str
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        where = (
            self.source
            if self.line is None
            else f"{self.source}, {self.unit} {self.line}"
        )
        return f"{where}, column {self.column}: {self.message}"


class InvalidRequestError(ValueError):
    """Requests that failed validation; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        listed = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(
            f"{len(problems)} invalid value(s), nothing was stored:\n{listed}"
        )


@dataclass(frozen=True)
class RequestInput:
    """A validated request, ready to be stored."""

    request_id: str
    requester_type: str
    patient_name: str
    date_of_birth: date
    exam_date: date
    mrn: str | None = None
    exam_description: str | None = None
    requester_name: str = ""
    requester_contact: str | None = None
    scope: str = "images"


@dataclass(frozen=True)
class RawRow:
    """One request as read from a file or a request body, before checking."""

    line: int | None
    values: Mapping[str, Any]
    unit: str = "line"
    """The unit of ``line``: "line" in a file, "item" in a request body."""


def _text(values: Mapping[str, Any], column: str) -> str:
    value = values.get(column)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(column)
    return value.strip()


class RowChecker:
    """Collects the problems of one row while its values are converted."""

    def __init__(self, source: str, row: RawRow, today: date) -> None:
        self.source = source
        self.row = row
        self.today = today
        self.problems: list[Problem] = []

    def fail(self, column: str, message: str) -> None:
        self.problems.append(
            Problem(self.source, self.row.line, column, message, self.row.unit)
        )

    def choice(self, column: str, value: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.fail(column, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def date_value(self, column: str, value: str) -> date | None:
        if not value:
            self.fail(column, "is empty; write the date as YYYY-MM-DD")
            return None
        try:
            if not ISO_DATE_PATTERN.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.fail(column, "is not a valid date; write it as YYYY-MM-DD")
            return None


def check_row(
    row: RawRow, source: str, today: date
) -> tuple[RequestInput | None, list[Problem]]:
    """Convert and check one request; return it, or None and its problems."""
    checker = RowChecker(source, row, today)
    texts: dict[str, str] = {}
    for column in COLUMNS:
        try:
            texts[column] = _text(row.values, column)
        except TypeError:
            checker.fail(column, "must be a string")
            texts[column] = ""
    for column in sorted(set(row.values) - set(COLUMNS)):
        checker.fail(column, f"is not a known column; use {', '.join(COLUMNS)}")

    request = _check_values(texts, checker)
    if checker.problems:
        return None, checker.problems
    return request, []


def _check_values(texts: dict[str, str], checker: RowChecker) -> RequestInput | None:
    request_id = texts["request_id"]
    if not REQUEST_ID_PATTERN.fullmatch(request_id):
        checker.fail(
            "request_id",
            f"{request_id!r} is not a valid request id; use 1 to 64 letters, "
            f"digits, '.', '_' or '-', starting with a letter or digit",
        )

    requester_type = checker.choice(
        "requester_type", texts["requester_type"], REQUESTER_TYPES
    )
    scope = checker.choice("scope", texts["scope"] or "images", SCOPES)
    patient_name = _check_name(texts["patient_name"], checker)
    birth = _check_birth_date(texts["date_of_birth"], checker)
    exam_date = _check_exam_date(texts["exam_date"], birth, checker)
    mrn = _check_record_number(texts["mrn"], checker)
    requester_name = _check_requester(texts, requester_type, patient_name, checker)
    for column in ("exam_description", "requester_contact"):
        if len(texts[column]) > MAX_TEXT_LENGTH:
            checker.fail(column, f"is longer than {MAX_TEXT_LENGTH} characters")

    if checker.problems or birth is None or exam_date is None:
        return None
    return RequestInput(
        request_id=request_id,
        requester_type=requester_type,
        patient_name=patient_name,
        date_of_birth=birth,
        exam_date=exam_date,
        mrn=mrn,
        exam_description=texts["exam_description"] or None,
        requester_name=requester_name,
        requester_contact=texts["requester_contact"] or None,
        scope=scope,
    )


def _check_name(name: str, checker: RowChecker) -> str:
    if not any(ch.isalpha() for ch in name):
        checker.fail("patient_name", "is empty or has no letters")
    elif len(name) > MAX_TEXT_LENGTH:
        checker.fail("patient_name", f"is longer than {MAX_TEXT_LENGTH} characters")
    return " ".join(name.split())


def _check_birth_date(value: str, checker: RowChecker) -> date | None:
    birth = checker.date_value("date_of_birth", value)
    if birth is None:
        return None
    if birth > checker.today:
        checker.fail("date_of_birth", "is after today")
        return None
    if birth.year < OLDEST_BIRTH_YEAR:
        checker.fail("date_of_birth", f"is before {OLDEST_BIRTH_YEAR}")
        return None
    return birth


def _check_exam_date(
    value: str, birth: date | None, checker: RowChecker
) -> date | None:
    exam_date = checker.date_value("exam_date", value)
    if exam_date is not None and birth is not None and exam_date < birth:
        checker.fail("exam_date", "is before the date of birth")
        return None
    return exam_date


def _check_record_number(value: str, checker: RowChecker) -> str | None:
    if not value:
        return None
    if not RECORD_NUMBER_PATTERN.fullmatch(value):
        checker.fail(
            "mrn",
            "is not a record number; use up to 24 letters, digits, spaces or hyphens",
        )
        return None
    return value


def _check_requester(
    texts: dict[str, str], requester_type: str, patient_name: str, checker: RowChecker
) -> str:
    name = " ".join(texts["requester_name"].split())
    if name:
        return name
    if requester_type == "patient":
        return patient_name
    if requester_type not in REQUESTER_TYPES:
        return ""
    checker.fail(
        "requester_name",
        f"is empty; a {requester_type} request must name its requester",
    )
    return ""


@dataclass
class RequestBatch:
    """Checked requests from one source, with the line each came from."""

    source: str
    requests: list[RequestInput]
    lines: dict[str, int | None]
    """Request id to its line or item number in the source."""
    unit: str = "line"


def check_rows(rows: list[RawRow], source: str, today: date) -> RequestBatch:
    """Check every row; return the requests or raise with every problem.

    Raises:
        InvalidRequestError: A row is invalid, or two rows share an id.
    """
    requests: list[RequestInput] = []
    problems: list[Problem] = []
    first_line: dict[str, int | None] = {}
    for row in rows:
        request, row_problems = check_row(row, source, today)
        problems.extend(row_problems)
        if request is None:
            continue
        if request.request_id in first_line:
            line = first_line[request.request_id]
            where = "an earlier row" if line is None else f"{row.unit} {line}"
            problems.append(
                Problem(
                    source,
                    row.line,
                    "request_id",
                    f"{request.request_id!r} is also on {where}",
                    row.unit,
                )
            )
            continue
        first_line[request.request_id] = row.line
        requests.append(request)
    if problems:
        raise InvalidRequestError(problems)
    unit = rows[0].unit if rows else "line"
    return RequestBatch(source, requests, first_line, unit)


def same_values(row: ImageRequest, request: RequestInput) -> bool:
    """Return True when a stored request has exactly the values of ``request``."""
    stored = {
        spec.name: getattr(row, "id" if spec.name == "request_id" else spec.name)
        for spec in fields(RequestInput)
    }
    return stored == {
        spec.name: getattr(request, spec.name) for spec in fields(RequestInput)
    }


def find_conflicts(
    session: Session, batch: RequestBatch
) -> tuple[list[RequestInput], list[Problem]]:
    """Split a batch into new requests and problems with stored ones.

    A request whose id is already stored with the same values is skipped, so
    a file can be imported twice. One stored with other values is a problem.
    """
    new: list[RequestInput] = []
    problems: list[Problem] = []
    for request in batch.requests:
        row = session.get(ImageRequest, request.request_id)
        if row is None:
            new.append(request)
        elif not same_values(row, request):
            problems.append(
                Problem(
                    batch.source,
                    batch.lines.get(request.request_id),
                    "request_id",
                    f"{request.request_id!r} is already stored with other values; "
                    f"give the changed request a new id",
                    batch.unit,
                )
            )
    return new, problems


def build_row(
    request: RequestInput, origin: str, document_id: str | None = None
) -> ImageRequest:
    """Return the table row for a new request."""
    return ImageRequest(
        id=request.request_id,
        requester_type=request.requester_type,
        patient_name=request.patient_name,
        date_of_birth=request.date_of_birth,
        mrn=request.mrn,
        exam_date=request.exam_date,
        exam_description=request.exam_description,
        requester_name=request.requester_name,
        requester_contact=request.requester_contact,
        scope=request.scope,
        origin=origin,
        origin_document_id=document_id,
    )


def request_facts(row: ImageRequest) -> RequestFacts:
    """Return what the matcher compares on a stored request."""
    return RequestFacts(
        request_id=row.id,
        requester_type=row.requester_type,
        patient_name=row.patient_name,
        date_of_birth=row.date_of_birth,
        mrn=row.mrn,
        exam_date=row.exam_date,
        exam_description=row.exam_description,
        requester_name=row.requester_name,
        requester_contact=row.requester_contact,
    )


def open_requests(session: Session) -> list[ImageRequest]:
    """Return every request that is not closed, ordered by id."""
    query = (
        select(ImageRequest)
        .where(ImageRequest.status != RequestStatus.CLOSED)
        .order_by(ImageRequest.id)
    )
    return list(session.exec(query).all())
