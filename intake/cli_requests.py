"""The ``intake requests`` subcommands: import, list, show and close requests.

``list`` and ``show`` bring every status up to the given day first (images
become ready and authorizations expire with time), so they may add status
changes to the database.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from intake import store
from intake.settings import Settings
from matchers.match import add_requests, refresh_statuses, thresholds_from
from matchers.models import ImageRequest
from matchers.request_files import read_requests
from matchers.requests import InvalidRequestError
from matchers.review import NotFoundError, close_and_rematch
from matchers.summary import request_summary


def add_request_commands(commands: Any) -> None:
    """Register ``requests import|list|show|close`` on the argparse subparsers object."""
    parser = commands.add_parser("requests", help="import, list and show open requests")
    actions = parser.add_subparsers(required=True, metavar="ACTION")

    importer = actions.add_parser(
        "import", help="store requests from a CSV, JSON or JSON Lines file"
    )
    importer.add_argument("file", type=Path, metavar="FILE")
    _add_common_options(importer)
    importer.set_defaults(run=run_import)

    lister = actions.add_parser("list", help="print every request with its documents")
    lister.add_argument("--status", help="print only requests with this status")
    lister.add_argument(
        "--json", action="store_true", help="print one JSON object per line"
    )
    _add_common_options(lister)
    lister.set_defaults(run=run_list)

    shower = actions.add_parser(
        "show", help="print one request, its documents' scores by field and its history"
    )
    shower.add_argument("request_id", metavar="ID")
    shower.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common_options(shower)
    shower.set_defaults(run=run_show)

    closer = actions.add_parser(
        "close", help="close a request so that no document is matched to it again"
    )
    closer.add_argument("request_id", metavar="ID")
    closer.add_argument(
        "--reason", required=True, help="why the request is closed (stored with it)"
    )
    closer.add_argument("--by", help="who closes it (default: the login name)")
    _add_common_options(closer)
    closer.set_defaults(run=run_close)


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: INTAKE_DATABASE_URL)")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="judge statuses as of this day (YYYY-MM-DD); default: the current date",
    )


def run_import(args: argparse.Namespace) -> int:
    """Import a request file; print what was stored or every invalid value."""
    settings = Settings.from_env(database_url=args.db)
    today = args.today or date.today()
    if not args.file.is_file():
        print(f"intake: {args.file}: no such file", file=sys.stderr)
        return 2
    engine = store.open_database(settings.database_url)
    try:
        batch = read_requests(args.file, today)
        summary = add_requests(
            engine, batch, today, thresholds_from(settings), "import"
        )
    except InvalidRequestError as error:
        print(f"intake: {error}", file=sys.stderr)
        return 1
    print(
        f"{len(summary.created)} request(s) stored, {len(summary.unchanged)} "
        f"already stored unchanged; {len(summary.attached)} waiting document(s) "
        f"attached"
    )
    return 0


def _load(args: argparse.Namespace) -> tuple[Session, date]:
    settings = Settings.from_env(database_url=args.db)
    today = args.today or date.today()
    engine = store.open_database(settings.database_url)
    refresh_statuses(engine, today)
    return Session(engine), today


def run_list(args: argparse.Namespace) -> int:
    """Print every request with its status and attached documents."""
    session, _ = _load(args)
    with session:
        query = select(ImageRequest).order_by(col(ImageRequest.id))
        if args.status:
            query = query.where(ImageRequest.status == args.status)
        rows = session.exec(query).all()
        for row in rows:
            summary = request_summary(session, row)
            if args.json:
                print(json.dumps(summary, ensure_ascii=False))
            else:
                print_request(summary, details=False)
    if not args.json:
        print(f"{len(rows)} request(s)", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print one request in full: documents with scores by field, review, history."""
    session, _ = _load(args)
    with session:
        row = session.get(ImageRequest, args.request_id)
        if row is None:
            print(
                f"intake: request {args.request_id!r} not found; "
                f"`intake requests list` shows the stored ids",
                file=sys.stderr,
            )
            return 1
        summary = request_summary(session, row)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_request(summary, details=True)
    return 0


def run_close(args: argparse.Namespace) -> int:
    """Close a request, then match the waiting documents again without it."""
    settings = Settings.from_env(database_url=args.db)
    today = args.today or date.today()
    engine = store.open_database(settings.database_url)
    try:
        attached = close_and_rematch(
            engine, args.request_id, args.reason, args.by or _login_name(), today,
            thresholds_from(settings),
        )  # fmt: skip
    except NotFoundError:
        print(
            f"intake: request {args.request_id!r} not found; "
            f"`intake requests list` shows the stored ids",
            file=sys.stderr,
        )
        return 1
    except ValueError as error:
        print(f"intake: cannot close request {args.request_id!r}: {error}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(
        f"request {args.request_id} closed; {len(attached)} waiting document(s) "
        f"attached to other requests"
    )
    return 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def print_request(summary: dict[str, Any], details: bool) -> None:
    """Print a request summary as text; ``details`` adds scores and history."""
    print(
        f"{summary['request_id']}  {summary['requester_type']}  {summary['status']}"
        f"  exam {summary['exam_date']}  {summary['patient_name']}"
        f" (born {summary['date_of_birth']})"
    )
    if summary["reasons"]:
        print(
            f"  reasons: {', '.join(summary['reasons'])}  ({summary['status_detail']})"
        )
    if details:
        _print_request_values(summary)
    for document in summary["documents"]:
        score = "-" if document["score"] is None else f"{document['score']:.1f}"
        print(
            f"  document {document['document_id']}  {document['doc_type']}"
            f"  {document['status']}  attached by {document['attached_by']}"
            f"  score {score}"
        )
        if details:
            _print_breakdown(document["fields"])
    if not summary["documents"]:
        print("  no documents attached")
    if details:
        _print_review_and_history(summary)


def _print_request_values(summary: dict[str, Any]) -> None:
    for key in (
        "mrn",
        "exam_description",
        "requester_name",
        "requester_contact",
        "scope",
        "origin",
    ):
        if summary[key]:
            print(f"  {key}: {summary[key]}")


def _print_breakdown(parts: list[dict[str, Any]]) -> None:
    for part in parts:
        note = f"  ({part['note']})" if part["note"] else ""
        print(
            f"      {part['field']:<17}{part['level']:<10}{part['weight']:>+7.2f}{note}"
        )


def _print_review_and_history(summary: dict[str, Any]) -> None:
    for candidate in summary["in_review"]:
        print(
            f"  in review: document {candidate['document_id']}  rank "
            f"{candidate['rank']}  score {candidate['score']:.1f}  ({candidate['note']})"
        )
        _print_breakdown(candidate["fields"])
    print("  history:")
    for change in summary["history"]:
        reasons = ", ".join(change["reasons"]) or "-"
        print(
            f"    {change['changed_at']}  {change['status']}  [{reasons}]  "
            f"{change['cause']} ({change['actor']})"
        )
