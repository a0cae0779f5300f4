from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from intake import store
from intake.settings import Settings
from intake.types import Document, FieldValue, Page
from matchers.match import match_stored_document, thresholds_from
from review_ui import create_app

TOKEN = "test-token-0123456789-abcdefghij"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TODAY = date(2026, 3, 16)
REQUEST = {
    "request_id": "REQ-API-1",
    "requester_type": "patient",
    "patient_name": "Ana Lucía Ruiz Soto",
    "date_of_birth": "1971-04-09",
    "mrn": "00451273",
    "exam_date": "2026-02-10",
    "exam_description": "CT chest",
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def client(database_url: str) -> Iterator[FlaskClient]:
    app = create_app({
        "DATABASE_URL": database_url,
        "API_TOKEN": TOKEN,
        "TODAY": lambda: TODAY,
    })  # fmt: skip
    yield app.test_client()


def post(client: FlaskClient, body: Any, headers: dict[str, str] = AUTH) -> Any:
    return client.post("/api/requests", json=body, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789-abcdef"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    ],
)
def test_missing_or_wrong_token_is_401(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = post(client, REQUEST, headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/requests/REQ-API-1", headers=headers).status_code == 401


def test_api_closed_without_configured_token(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "API_TOKEN": ""})
    response = app.test_client().post(
        "/api/requests", json=REQUEST, headers={"Authorization": "Bearer "}
    )
    assert response.status_code == 401


def test_token_read_from_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("INTAKE_API_TOKEN", TOKEN)
    monkeypatch.setenv("INTAKE_DATABASE_URL", database_url)
    app = create_app()
    assert app.config["API_TOKEN"] == TOKEN
    assert app.config["DATABASE_URL"] == database_url
    assert post(app.test_client(), REQUEST).status_code == 201


def test_create_request(client: FlaskClient) -> None:
    response = post(client, REQUEST)
    assert response.status_code == 201
    body = response.get_json()
    assert body["created"] == ["REQ-API-1"]
    assert body["requests"][0]["status"] == "waiting_for_forms"
    assert body["requests"][0]["origin"] == "api"
    again = post(client, [REQUEST])
    assert again.status_code == 201
    assert again.get_json()["unchanged"] == ["REQ-API-1"]


def test_invalid_request_names_item_and_column(client: FlaskClient) -> None:
    bad = REQUEST | {"request_id": "REQ-API-2", "date_of_birth": "09/04/1971"}
    response = post(client, [REQUEST, bad])
    assert response.status_code == 400
    assert response.get_json()["problems"] == [{
        "item": 2,
        "column": "date_of_birth",
        "message": "is not a valid date; write it as YYYY-MM-DD",
    }]  # fmt: skip
    shown = client.get("/api/requests/REQ-API-1", headers=AUTH)
    assert shown.status_code == 404


@pytest.mark.parametrize("body", ["text", 12, [], [1, 2], None])
def test_body_must_hold_request_objects(client: FlaskClient, body: Any) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_changed_request_with_same_id_is_409(client: FlaskClient) -> None:
    post(client, REQUEST)
    response = post(client, REQUEST | {"exam_description": "CT head"})
    assert response.status_code == 409
    assert response.get_json()["problems"][0]["column"] == "request_id"


def test_new_request_attaches_waiting_document(
    client: FlaskClient, database_url: str
) -> None:
    engine = store.open_database(database_url)
    page = Page(source=Path("f.tif"), number=1, image=Image.new("L", (10, 10)), dpi=200)
    document = Document(
        source=Path("f.tif"), pages=[page], doc_type="third_party_release"
    )
    document.doc_id = "doc-waiting"
    document.status = "accepted"
    document.fields = {
        "patient_name": FieldValue("Ana Ruiz Soto", 0.9),
        "date_of_birth": FieldValue("1971-04-09", 0.9),
        "mrn": FieldValue("00451273", 0.9),
    }
    source = store.save_source(
        engine, store.SourceFile(path="f.tif", sha256="1", size=1)
    )
    assert source.id is not None
    store.save_document(engine, source.id, document)
    thresholds = thresholds_from(Settings())
    assert (
        match_stored_document(engine, document, source.id, TODAY, thresholds)["band"]
        == "none"
    )

    response = post(client, REQUEST)
    assert response.get_json()["attached_documents"] == ["doc-waiting"]
    shown = client.get("/api/requests/REQ-API-1", headers=AUTH).get_json()
    assert [d["document_id"] for d in shown["documents"]] == ["doc-waiting"]
    assert shown["documents"][0]["fields"][0]["field"] == "patient_name"
    assert shown["history"][-1]["cause"] == "document doc-waiting attached"
    match = client.get("/api/documents/doc-waiting/match", headers=AUTH).get_json()
    assert match["band"] == "auto"
    assert match["candidates"][0]["request_id"] == "REQ-API-1"
    missing = client.get("/api/documents/nothing/match", headers=AUTH)
    assert missing.status_code == 404


NAMESAKE = REQUEST | {
    "request_id": "REQ-API-2",
    "date_of_birth": "1968-11-23",
    "mrn": "",
    "exam_description": "MRI left knee",
}


def name_only_document(database_url: str, document_id: str) -> None:
    """Store a form naming the patient only, so it waits in review."""
    engine = store.open_database(database_url)
    page = Page(source=Path("f.tif"), number=1, image=Image.new("L", (10, 10)), dpi=200)
    document = Document(source=Path("f.tif"), pages=[page], doc_type="release_images")
    document.doc_id = document_id
    document.status = "accepted"
    document.fields = {"patient_name": FieldValue("Ana Lucía Ruiz Soto", 0.9)}
    source = store.save_source(
        engine, store.SourceFile(path="f.tif", sha256=document_id, size=1)
    )
    assert source.id is not None
    store.save_document(engine, source.id, document)
    output = match_stored_document(
        engine, document, source.id, TODAY, thresholds_from(Settings())
    )
    assert output["band"] == "review"


def review(client: FlaskClient, document_id: str, body: Any, **kwargs: Any) -> Any:
    headers = kwargs.get("headers", AUTH)
    return client.post(
        f"/api/documents/{document_id}/review", json=body, headers=headers
    )


def test_review_attach_records_user(client: FlaskClient, database_url: str) -> None:
    post(client, [REQUEST, NAMESAKE])
    name_only_document(database_url, "doc-review")
    body = {"action": "attach", "request_id": "REQ-API-2", "user": "kim"}
    response = review(client, "doc-review", body)
    assert response.status_code == 200
    match = response.get_json()
    assert match["attached_request_id"] == "REQ-API-2"
    assert match["attached_by"] == "reviewer:kim"
    shown = client.get("/api/requests/REQ-API-2", headers=AUTH).get_json()
    assert shown["history"][-1]["actor"] == "reviewer:kim"
    assert shown["history"][-1]["cause"] == "document doc-review attached"
    again = review(client, "doc-review", body)
    assert again.status_code == 409
    assert "already attached" in again.get_json()["error"]


def test_review_reject_records_user(client: FlaskClient, database_url: str) -> None:
    post(client, [REQUEST, NAMESAKE])
    name_only_document(database_url, "doc-review")
    body = {
        "action": "reject",
        "request_id": "REQ-API-2",
        "user": "kim",
        "reason": "other birth date on page 2",
    }
    response = review(client, "doc-review", body)
    assert response.status_code == 200
    match = response.get_json()
    assert [c["request_id"] for c in match["candidates"]] == ["REQ-API-1"]
    assert match["rejected"][0]["request_id"] == "REQ-API-2"
    assert match["rejected"][0]["actor"] == "reviewer:kim"
    assert match["rejected"][0]["reason"] == "other birth date on page 2"
    shown = client.get("/api/requests/REQ-API-2", headers=AUTH).get_json()
    assert (
        shown["history"][-1]["cause"] == "document doc-review rejected as a candidate"
    )
    assert shown["in_review"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be a JSON object"),
        ({"action": "keep", "request_id": "REQ-API-1", "user": "kim"}, "action must"),
        ({"action": "attach", "request_id": "REQ-API-1"}, "user is missing"),
        ({"action": "attach", "user": "kim"}, "request_id is missing"),
        ({"action": "attach", "request_id": 7, "user": "kim"}, "must be a string"),
        ({"action": "attach", "request_id": "R", "user": "k", "who": 1}, "unknown"),
    ],
)
def test_review_rejects_invalid_body(
    client: FlaskClient, database_url: str, body: Any, message: str
) -> None:
    post(client, [REQUEST, NAMESAKE])
    name_only_document(database_url, "doc-review")
    response = review(client, "doc-review", body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_review_errors(client: FlaskClient, database_url: str) -> None:
    post(client, [REQUEST, NAMESAKE])
    name_only_document(database_url, "doc-review")
    attach = {"action": "attach", "request_id": "REQ-API-1", "user": "kim"}
    assert review(client, "doc-none", attach).status_code == 404
    unknown = attach | {"request_id": "REQ-404"}
    assert review(client, "doc-review", unknown).status_code == 404
    unauthorized = review(client, "doc-review", attach, headers={})
    assert unauthorized.status_code == 401
    post(client, REQUEST | {"request_id": "REQ-API-3", "patient_name": "Li Wei"})
    not_listed = attach | {"request_id": "REQ-API-3"}
    response = review(client, "doc-review", not_listed)
    assert response.status_code == 409
    assert "not a candidate" in response.get_json()["error"]
