"""The database: source files, documents, pages, fields, checks, history.

SQLite by default through SQLModel; any SQLAlchemy URL works (PostgreSQL is
tested too). Field values are patient data: they live here and in the
JSON output only, never in logs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import Field, Session, SQLModel, create_engine, select

from intake.errors import ConfigError
from intake.types import Document


def utcnow() -> datetime:
    return datetime.now(UTC)


class SourceFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    path: str
    """Path the file was read from, as given to ``intake process`` or in the
    watched inbox."""
    sha256: str = Field(index=True)
    size: int
    page_count: int = 0
    status: str = "processed"
    """processed or quarantined."""
    reason: str | None = None
    message: str | None = None
    quarantine_path: str | None = None
    archive_path: str | None = None
    """Archive path of the processed file, set by the watched inbox once the
    file is there."""
    received_at: datetime = Field(default_factory=utcnow)


class DocumentRecord(SQLModel, table=True):
    id: str = Field(primary_key=True)
    source_file_id: int = Field(foreign_key="sourcefile.id", index=True)
    pages: str
    """JSON list of 1-based page numbers in the source file."""
    doc_type: str
    language: str
    confidence: float
    status: str = Field(index=True)
    reasons: str
    """JSON list of reason codes."""
    match_request_id: str | None = None
    match_score: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PageRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    number: int
    width: int
    height: int
    dpi: int
    rotation: int
    skew: float
    ocr_confidence: float
    has_text_layer: bool


class FieldRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    name: str
    value: str | None
    confidence: float
    page: int | None = None
    bbox: str | None = None
    """JSON [left, top, right, bottom] in pixels of the normalized page."""
    reader: str = "tesseract"


class CheckRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    name: str
    passed: bool | None
    confidence: float
    value: str | None = None
    page: int | None = None
    bbox: str | None = None
    detail: str = ""


class StatusChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documentrecord.id", index=True)
    status: str
    reasons: str
    actor: str = "pipeline"
    detail: str | None = None
    """Cause of the change that the reason codes do not show, such as the
    earlier file's queue id for a likely re-scan."""
    changed_at: datetime = Field(default_factory=utcnow)


def open_database(url: str) -> Engine:
    """Create the engine for ``url`` and the tables that are missing."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine)
    return engine


def add_missing_columns(engine: Engine) -> None:
    """Add the nullable columns that tables created by an older version lack.

    ``create_all`` creates missing tables but never changes existing ones.

    Raises:
        ConfigError: A missing column is not nullable, so it cannot be added
            to rows that already exist.
    """
    inspector = inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                if not column.nullable:
                    url = engine.url.render_as_string(hide_password=True)
                    raise ConfigError(
                        f"the database {url} lacks the column "
                        f"{table.name}.{column.name}, which cannot be added to "
                        f"existing rows. Point INTAKE_DATABASE_URL at a new database"
                    )
                column_type = column.type.compile(dialect=engine.dialect)
                connection.execute(
                    text(
                        f"ALTER TABLE {quote(table.name)} "
                        f"ADD COLUMN {quote(column.name)} {column_type}"
                    )
                )


def _bbox_json(bbox: tuple[int, int, int, int] | None) -> str | None:
    return None if bbox is None else json.dumps(list(bbox))


def save_source(engine: Engine | Connection, source: SourceFile) -> SourceFile:
    with Session(engine, expire_on_commit=False) as session:
        session.add(source)
        session.commit()
        session.refresh(source)
    return source


def save_document(
    engine: Engine | Connection, source_id: int, document: Document
) -> None:
    """Store one document with its pages, fields, checks and first status."""
    with Session(engine) as session:
        session.add(
            DocumentRecord(
                id=document.doc_id,
                source_file_id=source_id,
                pages=json.dumps(document.page_numbers),
                doc_type=document.doc_type,
                language=document.language,
                confidence=document.confidence,
                status=document.status,
                reasons=json.dumps(document.reasons),
                match_request_id=document.match.get("request_id"),
                match_score=document.match.get("score"),
            )
        )
        session.flush()
        for page in document.pages:
            session.add(
                PageRecord(
                    document_id=document.doc_id,
                    number=page.number,
                    width=page.image.width,
                    height=page.image.height,
                    dpi=page.dpi,
                    rotation=page.rotation,
                    skew=page.skew,
                    ocr_confidence=page.ocr_confidence,
                    has_text_layer=page.has_text_layer,
                )
            )
        for name, value in document.fields.items():
            session.add(
                FieldRecord(
                    document_id=document.doc_id,
                    name=name,
                    value=value.value,
                    confidence=value.confidence,
                    page=value.page,
                    bbox=_bbox_json(value.bbox),
                    reader=value.reader,
                )
            )
        for name, check in document.checks.items():
            session.add(
                CheckRecord(
                    document_id=document.doc_id,
                    name=name,
                    passed=check.passed,
                    confidence=check.confidence,
                    value=check.value,
                    page=check.page,
                    bbox=_bbox_json(check.bbox),
                    detail=check.detail,
                )
            )
        session.add(
            StatusChange(
                document_id=document.doc_id,
                status=document.status,
                reasons=json.dumps(document.reasons),
            )
        )
        session.commit()


def change_status(
    engine: Engine | Connection,
    document: Document,
    detail: str,
    actor: str = "pipeline",
) -> None:
    """Update a stored document's status and reasons, and add the change to its
    history.

    Raises:
        LookupError: The document is not stored.
    """
    with Session(engine) as session:
        record = session.get(DocumentRecord, document.doc_id)
        if record is None:
            raise LookupError(f"document not found: {document.doc_id}")
        record.status = document.status
        record.reasons = json.dumps(document.reasons)
        session.add(record)
        session.add(
            StatusChange(
                document_id=document.doc_id,
                status=document.status,
                reasons=record.reasons,
                actor=actor,
                detail=detail,
            )
        )
        session.commit()


def count_by_status(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(DocumentRecord.status)).all()
    counts: dict[str, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts
