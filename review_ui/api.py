"""The JSON API: create requests and read request and review data.

Every call needs ``Authorization: Bearer <INTAKE_API_TOKEN>``; a missing or
wrong token gets 401, and so does every call while no token is set.

- ``POST /api/requests``: one request object or an array of them, with
  the columns of a request file (docs/matching.md). 201 with what was
  stored; 400 with every invalid value (item number and column); 409 when
  an id is already stored with other values. Nothing is stored on error.
- ``GET /api/requests/<id>``: the request with its documents, their scores
  by field, the documents in review that list it, and its status history.
- ``GET /api/documents/<id>/match``: a document's band and its ranked
  candidates with their scores by field (the review data).
- ``POST /api/documents/<id>/review``: a reviewer's decision on a document
  in review, ``{"action": "attach" | "reject", "request_id": ..., "user":
  ..., "reason": ...}`` (``reason`` optional, for rejections). 200 with the
  document's match afterwards; 400 for an invalid body; 404 when the
  document or request is not stored; 409 when the document is not in
  review, is attached, does not list the request, or the request is closed.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine
from sqlmodel import Session

from matchers.match import add_requests
from matchers.models import ImageRequest
from matchers.requests import InvalidRequestError, Problem, RawRow, check_rows
from matchers.review import (
    NotFoundError,
    ReviewConflictError,
    attach_candidate,
    reject_candidate,
)
from matchers.summary import document_review_view, request_summary, request_view
from matchers.track import RequestClosedError

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_REQUESTS_PER_CALL = 1000


def _engine() -> Engine:
    engine: Engine = current_app.extensions["intake_engine"]
    return engine


def _count_rejection() -> int:
    count: int = current_app.extensions.get("api_rejections", 0) + 1
    current_app.extensions["api_rejections"] = count
    return count


@blueprint.before_request
def require_token() -> ResponseReturnValue | None:
    """Reject a call without the configured bearer token with 401."""
    expected: str = current_app.config["API_TOKEN"]
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if (
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.strip().encode(), expected.encode())
    ):
        return None

    count = _count_rejection()
    # Log the 1st, 2nd, 4th, 8th... rejection, so a client retrying in a
    # loop cannot flood the log.
    if count & (count - 1) == 0:
        log.warning(
            "API call rejected: missing or wrong bearer token (%d so far)", count
        )
    response = jsonify(
        error="missing or wrong bearer token; send "
        "'Authorization: Bearer <INTAKE_API_TOKEN>'"
    )
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="intake"'
    return response


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "item": problem.line,
        "column": problem.column,
        "message": problem.message,
    }


def _error(
    status: int, message: str, problems: list[Problem] | None = None
) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = [_problem_json(problem) for problem in problems]
    return jsonify(body), status


@blueprint.post("/requests")
def create_requests() -> ResponseReturnValue:
    """Validate and store requests, then match waiting documents again."""
    body = request.get_json(silent=True)
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return _error(400, "the body must be a JSON object or an array of objects")
    if not items or len(items) > MAX_REQUESTS_PER_CALL:
        return _error(400, f"send 1 to {MAX_REQUESTS_PER_CALL} requests per call")

    today = current_app.config["TODAY"]()
    rows = [RawRow(number, item, "item") for number, item in enumerate(items, 1)]
    try:
        batch = check_rows(rows, "request body", today)
    except InvalidRequestError as error:
        return _error(400, "invalid request", error.problems)
    try:
        summary = add_requests(
            _engine(), batch, today, current_app.config["MATCH_THRESHOLDS"], "api"
        )
    except InvalidRequestError as error:
        return _error(
            409, "request id already stored with other values", error.problems
        )

    with Session(_engine()) as session:
        stored = [session.get(ImageRequest, r.request_id) for r in batch.requests]
        views = [request_view(row) for row in stored if row is not None]
    return jsonify(
        created=summary.created,
        unchanged=summary.unchanged,
        attached_documents=summary.attached,
        requests=views,
    ), 201


@blueprint.get("/requests/<request_id>")
def show_request(request_id: str) -> ResponseReturnValue:
    """Return a request with its documents, review candidates and history."""
    with Session(_engine()) as session:
        row = session.get(ImageRequest, request_id)
        if row is None:
            return _error(404, f"request {request_id!r} not found")
        return jsonify(request_summary(session, row))


@blueprint.get("/documents/<document_id>/match")
def show_document_match(document_id: str) -> ResponseReturnValue:
    """Return a document's band and its ranked candidates, scored by field."""
    with Session(_engine()) as session:
        view = document_review_view(session, document_id)
    if view is None:
        return _error(404, f"document {document_id!r} not found or never matched")
    return jsonify(view)


REVIEW_ACTIONS = ("attach", "reject")


def _review_body(body: Any) -> tuple[dict[str, str], str | None]:
    """Return the review body's text values, or an error message."""
    if not isinstance(body, dict):
        return {}, "the body must be a JSON object"
    unknown = sorted(set(body) - {"action", "request_id", "user", "reason"})
    if unknown:
        known = "action, request_id, user, reason"
        return {}, f"unknown key(s) {', '.join(unknown)}; use {known}"
    values = {}
    for key in ("action", "request_id", "user", "reason"):
        value = body.get(key, "")
        if not isinstance(value, str):
            return {}, f"{key} must be a string"
        values[key] = value.strip()
    if values["action"] not in REVIEW_ACTIONS:
        return {}, f"action must be one of {', '.join(REVIEW_ACTIONS)}"
    for key in ("request_id", "user"):
        if not values[key]:
            return {}, f"{key} is missing or empty"
    return values, None


@blueprint.post("/documents/<document_id>/review")
def review_document(document_id: str) -> ResponseReturnValue:
    """Attach a document in review to a candidate, or reject a candidate."""
    values, problem = _review_body(request.get_json(silent=True))
    if problem is not None:
        log.info("review of document %s rejected: invalid body", document_id)
        return _error(400, problem)
    today = current_app.config["TODAY"]()
    status = 200
    try:
        if values["action"] == "attach":
            attach_candidate(
                _engine(), document_id, values["request_id"], today, values["user"]
            )
        else:
            reject_candidate(
                _engine(), document_id, values["request_id"], today, values["user"],
                current_app.config["MATCH_THRESHOLDS"], values["reason"],
            )  # fmt: skip
    except NotFoundError as error:
        status, message = 404, str(error)
    except (ReviewConflictError, RequestClosedError) as error:
        status, message = 409, str(error)
    except ValueError as error:
        status, message = 400, str(error)
    if status != 200:
        # The messages name document and request ids only, no patient data.
        log.info("review of document %s failed (%d): %s", document_id, status, message)
        return _error(status, message)
    with Session(_engine()) as session:
        view = document_review_view(session, document_id)
    return jsonify(view)
