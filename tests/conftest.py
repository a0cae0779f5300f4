from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
POSTGRES_SERVER = os.environ.get(
    "INTAKE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def shared_data(*parts: str) -> Path:
    """Return a path under the shared test data, or skip where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: shared test data is only on CI machines")
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Create an empty PostgreSQL database for one test and drop it after."""
    name = f"intake_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_SERVER.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
