"""Databases for the runtime's tests: a SQLite file, and PostgreSQL in a throw-away schema.

PostgreSQL comes from FUSIONHUB_TEST_POSTGRES_URL (set by .ci/run; default: the local
server at 127.0.0.1:5432, database `test`). Unreachable → those tests skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import event

from fusionhub.storage import Database, sqlite_url

PG_URL = os.environ.get("FUSIONHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# The caller's clock as the database's: `now()` in the test schema returns the time the job
# queue hands over in each transaction (`fusionhub.now`), and the real clock when none was.
# With the schema ahead of pg_catalog on the search_path, procrastinate's procedures call it.
CALLER_NOW = """
CREATE FUNCTION "{schema}".now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(to_timestamp(nullif(current_setting('fusionhub.now', true), '')::float8), pg_catalog.now())
$$
"""


async def _pg_schema(*, caller_clock: bool = False) -> tuple[Database, str]:
    """A fresh schema; `caller_clock`: its `now()` is the job queue's caller's (a virtual clock's) time."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg 3: pip install 'fusionhub[postgres]'")
    schema = f"fh_test_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            if caller_clock:
                await conn.execute(sa.text(CALLER_NOW.format(schema=schema)))
    except Exception as exc:
        await admin.aclose()
        if os.environ.get("FUSIONHUB_TEST_POSTGRES_URL"):
            raise  # CI said PostgreSQL is there: fail loudly rather than skip
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    await admin.aclose()
    db = Database(PG_URL, schema=schema)
    if caller_clock:

        @event.listens_for(db.engine.sync_engine, "connect")
        def _schema_first(dbapi_conn: Any, _record: Any) -> None:  # after Database's own search_path
            cursor = dbapi_conn.cursor()
            cursor.execute(f'SET search_path TO "{schema}", pg_catalog')
            cursor.close()
            dbapi_conn.commit()

        # The plain connections too (`Database.lane`: a worker's turn, bucket statements).
        from fusionhub.storage.pg_lane import PgLane

        assert db.lane is not None
        options = {"options": f"-csearch_path={schema},pg_catalog"}
        plain = db.engine.url.set(drivername="postgresql").update_query_dict(options)
        db.lane = PgLane(plain.render_as_string(hide_password=False), schema=None, size=db.lane.size)

    return db, schema


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


def schema_url(schema: str) -> str:
    """The server's URL with search_path set to `schema`: what another process opens."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@asynccontextmanager
async def _throwaway_schema_url() -> AsyncIterator[str]:
    db, schema = await _pg_schema()
    await db.aclose()
    try:
        yield schema_url(schema)
    finally:
        await _drop(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def process_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind that other processes open by URL (each migrates it on open)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "hub.db")
        return
    async with _throwaway_schema_url() as url:
        yield url


@pytest.fixture
async def pg_process_db_url() -> AsyncIterator[str]:
    """`process_db_url` on PostgreSQL only."""
    async with _throwaway_schema_url() as url:
        yield url


@pytest.fixture
def secret_keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh key in FUSIONHUB_SECRET_KEYS, which every process this test spawns inherits."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", key)
    return key
