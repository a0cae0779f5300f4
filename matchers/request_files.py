"""Read request files: CSV, a JSON array of objects, or JSON Lines.

Each row keeps the line it starts on, so that a problem found while
checking it (``matchers.requests.check_rows``) names the file, the line and
the column. The keys are the columns of ``matchers.requests.COLUMNS``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from matchers.requests import (
    REQUIRED_COLUMNS,
    InvalidRequestError,
    Problem,
    RawRow,
    RequestBatch,
    check_rows,
)


def read_request_rows(path: Path) -> list[RawRow]:
    """Read the rows of a CSV, JSON or JSON Lines request file, unchecked.

    Raises:
        InvalidRequestError: The file cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InvalidRequestError(
            [Problem(str(path), None, "-", f"cannot be read ({reason})")]
        ) from error
    stripped = text.lstrip()
    if path.suffix.lower() == ".csv" or stripped[:1] not in ("[", "{"):
        return list(_read_csv(text, str(path)))
    if stripped.startswith("["):
        return list(_read_json_array(text, str(path)))
    return list(_read_json_lines(text, str(path)))


def _read_csv(text: str, source: str) -> Iterator[RawRow]:
    reader = csv.DictReader(text.splitlines(keepends=True), restkey="\0extra")
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InvalidRequestError(
            [
                Problem(source, 1, column, "is missing from the header row")
                for column in missing
            ]
        )
    for values in reader:
        if "\0extra" in values:
            raise InvalidRequestError(
                [
                    Problem(
                        source,
                        reader.line_num,
                        "-",
                        "has more values than the header row has columns",
                    )
                ]
            )
        short = [column for column, value in values.items() if value is None]
        if short:
            raise InvalidRequestError(
                [
                    Problem(
                        source,
                        reader.line_num,
                        short[0],
                        "is missing: the line has fewer values than the header row",
                    )
                ]
            )
        yield RawRow(reader.line_num, values)


def _json_problem(
    source: str, text: str, position: int, message: str
) -> InvalidRequestError:
    line = text.count("\n", 0, position) + 1
    return InvalidRequestError([Problem(source, line, "-", message)])


def _read_json_array(text: str, source: str) -> Iterator[RawRow]:
    """Yield each object of a JSON array with the line it starts on."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        position = _skip_space(text, position)
        if position < len(text) and text[position] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _json_problem(
                source, text, error.pos, f"invalid JSON: {error.msg}"
            ) from None
        if not isinstance(value, dict):
            raise _json_problem(
                source, text, position, "each request must be a JSON object"
            )
        yield RawRow(text.count("\n", 0, position) + 1, value)
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position += 1
        elif position >= len(text) or text[position] != "]":
            raise _json_problem(
                source, text, position, "invalid JSON: expected ',' or ']'"
            )


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _read_json_lines(text: str, source: str) -> Iterator[RawRow]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidRequestError(
                [
                    Problem(
                        source,
                        number,
                        "-",
                        f"invalid JSON: {error.msg}; write one request object per line "
                        f"(JSON Lines) or a JSON array of objects",
                    )
                ]
            ) from None
        if not isinstance(value, dict):
            raise InvalidRequestError(
                [Problem(source, number, "-", "each request must be a JSON object")]
            )
        yield RawRow(number, value)


def read_requests(path: Path, today: date) -> RequestBatch:
    """Read and check a request file; raise with every problem found."""
    return check_rows(read_request_rows(path), str(path), today)
