"""Databases for the runtime's tests: a SQLite file, and PostgreSQL in a throw-away schema.

PostgreSQL comes from FUSIONHUB_TEST_POSTGRES_URL (set by .ci/run; default: the local
server at 127.0.0.1:5432, database `test`). Unreachable → those tests skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fusionhub.storage import Database, sqlite_url

PG_URL = os.environ.get("FUSIONHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_schema() -> tuple[Database, str]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg 3: pip install 'fusionhub[postgres]'")
    schema = f"fh_test_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        await admin.aclose()
        if os.environ.get("FUSIONHUB_TEST_POSTGRES_URL"):
            raise  # CI said PostgreSQL is there: fail loudly rather than skip
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    await admin.aclose()
    return Database(PG_URL, schema=schema), schema


async def _drop(schema: str) -> None:
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        db = Database(sqlite_url(tmp_path / "fusionhub.db"))
        await db.ensure_schema()
        yield db
        await db.aclose()
        return
    db, schema = await _pg_schema()
    try:
        await db.ensure_schema()
        yield db
    finally:
        await db.aclose()
        await _drop(schema)
