from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from intake import store
from intake.types import Check, Document, FieldValue, Page


def sample_document() -> Document:
    page = Page(
        source=Path("f.tif"), number=2, image=Image.new("L", (100, 140)), dpi=200
    )
    document = Document(source=Path("f.tif"), pages=[page], doc_type="release_images")
    document.doc_id = "doc0001"
    document.confidence = 0.95
    document.status = "rejected"
    document.reasons = ["signature_missing"]
    document.fields = {"patient_name": FieldValue("Ana Ruiz", 0.8, 2, (1, 2, 3, 4))}
    document.checks = {"signed": Check("signed", False, 0.9, 2, (5, 6, 7, 8))}
    return document


def store_and_read(url: str) -> None:
    engine = store.open_database(url)
    source = store.save_source(
        engine, store.SourceFile(path="f.tif", sha256="ab" * 32, size=10, page_count=1)
    )
    assert source.id is not None
    store.save_document(engine, source.id, sample_document())

    with Session(engine) as session:
        record = session.exec(select(store.DocumentRecord)).one()
        field = session.exec(select(store.FieldRecord)).one()
        check = session.exec(select(store.CheckRecord)).one()
        page = session.exec(select(store.PageRecord)).one()
        history = session.exec(select(store.StatusChange)).all()
    assert json.loads(record.pages) == [2]
    assert json.loads(record.reasons) == ["signature_missing"]
    assert field.value == "Ana Ruiz"
    assert json.loads(field.bbox or "null") == [1, 2, 3, 4]
    assert check.passed is False
    assert page.height == 140
    assert [h.status for h in history] == ["rejected"]
    assert store.count_by_status(engine) == {"rejected": 1}
    engine.dispose()


def test_store_round_trip_sqlite(tmp_path: Path) -> None:
    store_and_read(f"sqlite:///{tmp_path}/intake.db")


@pytest.mark.postgres
def test_store_round_trip_postgres(postgres_url: str) -> None:
    store_and_read(postgres_url)
