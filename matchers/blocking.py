"""Blocking: choose the open requests a document is scored against.

Scoring every open request for every document costs one comparison of
each field per pair, which grows with both counts. Each request instead
stores blocking keys (``RequestKey``) when it is stored, and a document is
scored only against the requests that share at least one key with it. The
blocks are united, never intersected, so a misread field loses its own
block while the other fields still find the request.

Keys are written ``kind:value``:

- ``dob``: the date of birth. A document looks up the date it reads and
  every date that ``compare.describe_misreading`` relates to it (day and
  month swapped, another century, one digit misread, two neighbouring
  digits swapped).
- ``mrn``: the record number without separators and leading zeros, and
  every version of it with one character deleted. Two numbers one edit
  apart always share one of these (a deletion neighbourhood). A document
  adds the same keys for its reading with OCR's letters turned into digits.
- ``word``: every name word with the deletions of the typing errors that
  ``names.compare_words`` allows (none under 4 letters, one up to 7, two
  from 8 on), so that words it pairs as typing errors share a key. A
  document adds the nicknames and full names of its words.
- ``look``: every name word with the letter groups OCR confuses folded.
- ``sound``: the Metaphone code of every name word.
- ``all``: all letters of the name joined, for names split differently.
- ``req`` and ``fax``: for the request types whose requester is compared
  (outside physicians, legal requests), the requester's name words and
  fax number. A document looks up its physician, release-to name and fax.

The requests that already hold a document of the same source file are
scored as well. So every request that agrees with the document on the
name, birth date, record number or requester at a level above
``disagree`` is scored.

NOTE: a request whose only agreement with the document is the exam (its
date and description) is not scored. Such a pair shares no identifier,
so the identity rules could never attach it automatically, but scoring
every request would have listed it for review when its score reached the
review score.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import jellyfish
from sqlalchemy import exists, insert
from sqlmodel import Session, col, select

from matchers.compare import (
    OCR_RECORD_DIGITS,
    normalize_record_number,
    parse_iso,
    person_words,
    phone_digits,
)
from matchers.models import ImageRequest, RequestKey
from matchers.names import fold_lookalikes, nickname_relatives, split_name
from matchers.score import REQUESTER_TYPES_COMPARED, DocumentFacts
from matchers.status import RequestStatus

MIN_DELETION_LENGTH = 4
"""Shortest name word whose one-letter deletions are keys; the name
comparison allows no typing error in shorter words."""
LONG_WORD_LENGTH = 8
"""Shortest name word whose two-letter deletions are keys too; the name
comparison allows two typing errors from this length on."""


def _deletions(text: str, count: int = 1) -> set[str]:
    """Return ``text`` and every version of it with up to ``count`` characters deleted.

    Two strings within ``count`` edits of each other (substitutions,
    insertions, deletions, swaps of neighbours) share one of these.
    """
    variants = {text}
    for _ in range(count):
        shorter = set()
        for variant in variants:
            for index in range(len(variant)):
                shorter.add(variant[:index] + variant[index + 1 :])
        variants |= shorter
    variants.discard("")
    return variants


def _typing_errors_allowed(word: str) -> int:
    """Return the edits ``names.compare_words`` allows for a word of this length."""
    if len(word) < MIN_DELETION_LENGTH:
        return 0
    return 1 if len(word) < LONG_WORD_LENGTH else 2


def name_keys(name: str | None, with_relatives: bool = False) -> set[str]:
    """Return the blocking keys of a patient name.

    Args:
        name: The name as written.
        with_relatives: Also add the nicknames and full names of each
            word, as a document does (requests store only their own words).
    """
    words = split_name(name)
    keys: set[str] = set()
    for word in words.words:
        keys.add(f"sound:{jellyfish.metaphone(word)}")
        keys.add(f"look:{fold_lookalikes(word)}")
        spellings = _deletions(word, _typing_errors_allowed(word))
        keys.update(f"word:{spelling}" for spelling in spellings)
        if with_relatives:
            keys.update(f"word:{relative}" for relative in nickname_relatives(word))
    if words.words:
        keys.add(f"all:{words.joined}")
    return keys


def birth_date_keys(read: date | None, with_misreadings: bool = False) -> set[str]:
    """Return the blocking keys of a date of birth.

    Args:
        read: The date, None when absent.
        with_misreadings: Also add every date a common misreading relates
            to ``read``, as a document does.
    """
    if read is None:
        return set()
    dates = misread_dates(read) if with_misreadings else set()
    dates.add(read)
    return {f"dob:{value.isoformat()}" for value in dates}


def misread_dates(read: date) -> set[date]:
    """Return every valid date that one common misreading turns into ``read``.

    The misreadings are those of ``compare.describe_misreading``, each of
    which works both ways: day and month swapped, the year a century off,
    one digit changed, two neighbouring digits swapped.
    """
    candidates: set[date] = set()
    _add_date(candidates, read.year, read.day, read.month)
    _add_date(candidates, read.year - 100, read.month, read.day)
    _add_date(candidates, read.year + 100, read.month, read.day)
    digits = read.strftime("%Y%m%d")
    for index in range(len(digits)):
        for digit in "0123456789":
            if digit != digits[index]:
                _add_digits(candidates, digits[:index] + digit + digits[index + 1 :])
    for index in range(len(digits) - 1):
        swapped = (
            digits[:index] + digits[index + 1] + digits[index] + digits[index + 2 :]
        )
        _add_digits(candidates, swapped)
    candidates.discard(read)
    return candidates


def _add_date(dates: set[date], year: int, month: int, day: int) -> None:
    try:
        dates.add(date(year, month, day))
    except ValueError:
        pass


def _add_digits(dates: set[date], digits: str) -> None:
    _add_date(dates, int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def record_number_keys(number: str | None, as_read: bool = False) -> set[str]:
    """Return the blocking keys of a medical record number.

    Args:
        number: The number as written or read.
        as_read: Also add the keys of the reading with OCR's letters turned
            into digits, as a document does.
    """
    readings = {normalize_record_number(number)}
    if as_read:
        translated = normalize_record_number(number).translate(OCR_RECORD_DIGITS)
        readings.add(normalize_record_number(translated))
    keys: set[str] = set()
    for reading in readings:
        if reading:
            keys.update(f"mrn:{variant}" for variant in _deletions(reading))
    return keys


def requester_keys(names: Iterable[str | None], contact: str | None) -> set[str]:
    """Return the blocking keys of a requester: name words and fax number.

    These are the values ``compare.compare_requesters`` agrees on: the last
    ten digits of the contact, and the words of a name without credentials.
    """
    keys = {f"req:{word}" for name in names for word in person_words(name)}
    fax = phone_digits(contact)
    if fax:
        keys.add(f"fax:{fax}")
    return keys


def request_keys(request: ImageRequest) -> set[str]:
    """Return the blocking keys stored for a request."""
    keys = (
        name_keys(request.patient_name)
        | birth_date_keys(request.date_of_birth)
        | record_number_keys(request.mrn)
    )
    if request.requester_type in REQUESTER_TYPES_COMPARED:
        keys |= requester_keys([request.requester_name], request.requester_contact)
    return keys


def document_keys(document: DocumentFacts) -> set[str]:
    """Return the keys a document looks up, misreadings and nicknames included."""
    senders = [document.value("physician_name"), document.value("release_to_name")]
    return (
        name_keys(document.value("patient_name"), with_relatives=True)
        | birth_date_keys(
            parse_iso(document.value("date_of_birth")), with_misreadings=True
        )
        | record_number_keys(document.value("mrn"), as_read=True)
        | requester_keys(senders, document.value("physician_fax"))
    )


def store_request_keys(session: Session, requests: Iterable[ImageRequest]) -> None:
    """Insert the blocking keys of requests added to the session.

    The requests themselves are flushed first, so that the keys' foreign
    keys find them.
    """
    rows = [
        {"request_id": request.id, "key": key}
        for request in requests
        for key in sorted(request_keys(request))
    ]
    if rows:
        session.flush()
        session.execute(insert(RequestKey), rows)


def index_unkeyed_requests(session: Session) -> int:
    """Store the keys of requests stored without them; return how many.

    Requests stored before blocking existed have no keys, and every
    request has at least its birth date key, so a request without any key
    row is one of those.
    """
    unkeyed = session.exec(
        select(ImageRequest).where(
            ~exists().where(col(RequestKey.request_id) == col(ImageRequest.id))
        )
    ).all()
    store_request_keys(session, unkeyed)
    return len(unkeyed)


def blocked_requests(session: Session, document: DocumentFacts) -> list[ImageRequest]:
    """Return the open requests that share a blocking key with ``document``.

    Requests in ``document.file_requests`` are included whatever their
    keys. Closed requests are left out. The list is ordered by request id.
    """
    keys = sorted(document_keys(document))
    sharing = select(RequestKey.request_id).where(col(RequestKey.key).in_(keys))
    chosen = col(ImageRequest.id).in_(sharing)
    if document.file_requests:
        chosen = chosen | col(ImageRequest.id).in_(sorted(document.file_requests))
    query = (
        select(ImageRequest)
        .where(chosen)
        .where(ImageRequest.status != RequestStatus.CLOSED)
        .order_by(col(ImageRequest.id))
    )
    return list(session.exec(query).all())
