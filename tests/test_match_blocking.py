"""Blocking: which open requests a document is scored against."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from intake import store
from matchers import match
from matchers.blocking import (
    blocked_requests,
    document_keys,
    misread_dates,
    name_keys,
    record_number_keys,
    store_request_keys,
)
from matchers.compare import compare_record_numbers, describe_misreading
from matchers.match import match_document
from matchers.models import ImageRequest
from matchers.names import WORD_NONE, compare_words
from matchers.requests import RequestInput, build_row
from matchers.score import DocumentFacts, Thresholds
from matchers.track import close_request

TODAY = date(2026, 3, 16)
THRESHOLDS = Thresholds(auto_score=13.0, review_score=0.0, margin=5.0)
FILLER_COUNT = 2000
GIVEN = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Maria",
    "Jose",
    "Juan",
    "Carmen",
    "Luis",
    "Ana",
    "Wei",
    "Mei",
    "Omar",
    "Fatima",
    "Olga",
    "Ivan",
    "Priya",
    "Ravi",
]
SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Nguyen",
    "Kim",
    "Patel",
    "Chen",
    "Ivanova",
    "Kowalski",
    "Muller",
    "Rossi",
    "Haddad",
    "Okafor",
]

TARGET = RequestInput(
    request_id="REQ-TARGET",
    requester_type="patient",
    patient_name="Ana Lucía Ruiz Soto",
    date_of_birth=date(1971, 4, 9),
    exam_date=date(2026, 2, 10),
    mrn="00451273",
    exam_description="CT abdomen and pelvis",
)


def filler_requests(count: int, seed: int = 11) -> list[RequestInput]:
    """Return ``count`` made-up patients' requests, none resembling ``TARGET``."""
    rng = random.Random(seed)
    requests = []
    for number in range(count):
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        requests.append(
            RequestInput(
                request_id=f"REQ-F{number:05d}",
                requester_type="patient",
                patient_name=f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}",
                date_of_birth=birth,
                exam_date=date(2025, 6, 1) + timedelta(days=rng.randrange(280)),
                mrn=f"{rng.randrange(10**7, 10**8)}",
            )
        )
    return requests


def store_requests(engine: Engine, requests: list[RequestInput]) -> None:
    with Session(engine) as session:
        rows = [build_row(request, "import") for request in requests]
        session.add_all(rows)
        store_request_keys(session, rows)
        session.commit()


@pytest.fixture(scope="module")
def crowded() -> Engine:
    """A database with the target request among thousands of others."""
    engine = store.open_database("sqlite://")
    store_requests(engine, [TARGET, *filler_requests(FILLER_COUNT)])
    return engine


def blocked_ids(engine: Engine, **fields: str) -> list[str]:
    facts = DocumentFacts("doc", "release_images", dict(fields))
    with Session(engine) as session:
        return [row.id for row in blocked_requests(session, facts)]


@pytest.mark.parametrize(
    "fields",
    [
        # The birth date misread (one digit); the name finds the request.
        {"patient_name": "Ana Ruiz Soto", "date_of_birth": "1971-04-08"},
        # The name garbled; the birth date finds it.
        {"patient_name": "Xnq Qzvw", "date_of_birth": "1971-04-09"},
        # Name and birth date garbled; the record number, one digit off, finds it.
        {"patient_name": "Xnq Qzvw", "date_of_birth": "1999-12-31", "mrn": "451278"},
        # Only the surname readable, with a typo; the birth date day and month swapped.
        {"patient_name": "R. Sotto", "date_of_birth": "1971-09-04"},
        # A nickname, no birth date.
        {"patient_name": "Anita Ruiz"},
    ],
    ids=["dob-misread", "name-garbled", "mrn-one-edit", "typo-and-swap", "nickname"],
)
def test_request_found_when_a_key_is_misread(
    crowded: Engine, fields: dict[str, str]
) -> None:
    ids = blocked_ids(crowded, **fields)
    assert "REQ-TARGET" in ids
    assert len(ids) < FILLER_COUNT // 10


def store_document_row(engine: Engine, document_id: str) -> None:
    """Store the bare document row that an attachment needs."""
    with Session(engine) as session:
        source = store.SourceFile(path="fax.tif", sha256=document_id, size=1)
        session.add(source)
        session.flush()
        assert source.id is not None
        session.add(
            store.DocumentRecord(
                id=document_id, source_file_id=source.id, pages="[1]",
                doc_type="release_images", language="en", confidence=1.0,
                status="accepted", reasons="[]",
            )
        )  # fmt: skip
        session.commit()


def test_match_scores_only_the_block(
    crowded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[int] = []
    original = match.rank_requests

    def counting_rank(document, requests):  # type: ignore[no-untyped-def]
        requests = list(requests)
        scored.append(len(requests))
        return original(document, requests)

    monkeypatch.setattr(match, "rank_requests", counting_rank)
    store_document_row(crowded, "doc-crowded")
    facts = DocumentFacts(
        "doc-crowded",
        "release_images",
        {"patient_name": "Ana Ruiz Soto", "date_of_birth": "1971-04-09"},
    )
    with Session(crowded) as session:
        decision = match_document(session, facts, TODAY, THRESHOLDS)
        session.rollback()
    assert decision.attached_request_id == "REQ-TARGET"
    assert scored and scored[0] < FILLER_COUNT // 10


def test_closed_request_is_not_in_any_block() -> None:
    engine = store.open_database("sqlite://")
    store_requests(engine, [TARGET])
    fields = {"patient_name": "Ana Ruiz Soto", "date_of_birth": "1971-04-09"}
    assert blocked_ids(engine, **fields) == ["REQ-TARGET"]
    with Session(engine) as session:
        request = session.get(ImageRequest, "REQ-TARGET")
        assert request is not None
        close_request(session, request, "filled at the desk", "reviewer:kim")
        session.commit()
    assert blocked_ids(engine, **fields) == []


def test_request_stored_without_keys_is_indexed() -> None:
    engine = store.open_database("sqlite://")
    with Session(engine) as session:
        session.add(build_row(TARGET, "import"))  # no keys, as before blocking
        session.commit()
    store_document_row(engine, "doc-old")
    facts = DocumentFacts(
        "doc-old",
        "release_images",
        {"patient_name": "Ana Ruiz Soto", "date_of_birth": "1971-04-09"},
    )
    with Session(engine) as session:
        decision = match_document(session, facts, TODAY, THRESHOLDS)
        session.rollback()
    assert decision.attached_request_id == "REQ-TARGET"


@pytest.mark.parametrize(
    "read", [date(1971, 4, 9), date(2000, 2, 29), date(1988, 12, 31)]
)
def test_misread_dates_are_the_comparator_misreadings(read: date) -> None:
    first, last = date(1850, 1, 1), date(2150, 12, 31)
    expected = set()
    day = first
    while day <= last:
        if day != read and describe_misreading(read, day) is not None:
            expected.add(day)
        day += timedelta(days=1)
    generated = {day for day in misread_dates(read) if first <= day <= last}
    assert generated == expected


WORD_PAIRS = [
    ("ruiz", "rulz"),
    ("villasenor", "villasefior"),
    ("thistlewood", "thistlewod"),
    ("echeverria", "echevarria"),
    ("maria", "mraia"),
    ("william", "bill"),
    ("jose", "pepe"),
    ("guadalupe", "lupita"),
    ("kowalski", "kovvalski"),
    ("smyth", "smith"),
    ("mckenzie", "mackensie"),
]


@pytest.mark.parametrize(("request_word", "read_word"), WORD_PAIRS)
def test_paired_name_words_share_a_key(request_word: str, read_word: str) -> None:
    assert compare_words(read_word, request_word) > WORD_NONE
    request_keys = name_keys(request_word)
    read_keys = name_keys(read_word, with_relatives=True)
    assert request_keys & read_keys


@pytest.mark.parametrize(
    ("stored", "read"),
    [("00451273", "451273"), ("00451273", "45l273"), ("00451273", "0045-1283"),
     ("00451273", "4512733"), ("00451273", "0054-1273"), ("A12-334", "a12334")],
)  # fmt: skip
def test_record_numbers_one_edit_apart_share_a_key(stored: str, read: str) -> None:
    assert compare_record_numbers(read, stored).level in ("exact", "one_edit")
    assert record_number_keys(stored) & record_number_keys(read, as_read=True)


def test_document_keys_cover_requester_fax() -> None:
    facts = DocumentFacts(
        "doc",
        "physician_request",
        {"patient_name": "Q", "physician_fax": "(503) 555-0148"},
    )
    assert "fax:5035550148" in document_keys(facts)
