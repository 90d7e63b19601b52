"""The backend-independent queue suite on PostgreSQL (127.0.0.1:5432/test or FUSIONHUB_TEST_POSTGRES_URL).

Each test gets its own schema (search_path), dropped afterwards. The suite runs on a
virtual clock, so the queue keeps the caller's times (`database_clock=False`); the
database-clock mode is checked on its own below.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from queue_suite import *  # noqa: F403 - the suite's tests run here against this backend
from queue_suite import Backend
from runtime_db import _drop, _pg_schema

from fusionhub.jobs import NewJob, SqlJobQueue
from fusionhub.jobs.pg import PostgresJobQueue, queue_for
from fusionhub.storage import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    db, schema = await _pg_schema()
    try:
        yield db
    finally:
        await db.aclose()
        await _drop(schema)


@pytest.fixture
def queue_backend(pg_db: Database) -> Backend:
    return Backend(database=lambda: pg_db, queue=lambda db: PostgresJobQueue(db, database_clock=False))


async def test_a_postgresql_url_selects_the_postgres_backend(pg_db: Database) -> None:
    assert isinstance(queue_for(pg_db), PostgresJobQueue)
    sqlite = Database("sqlite+aiosqlite:///:memory:")
    assert type(queue_for(sqlite)) is SqlJobQueue
    await sqlite.aclose()


async def test_times_from_a_skewed_worker_land_on_the_database_clock(pg_db: Database) -> None:
    await pg_db.ensure_schema()
    ahead = PostgresJobQueue(pg_db, wall=lambda: time.time() + 3600)  # an hour fast
    true = PostgresJobQueue(pg_db)
    offset = await ahead.clock_offset()
    assert -3600 - 5 < offset < -3600 + 5
    assert abs(await true.clock_offset()) < 5
    # A job the fast machine enqueues for "now" is due now for everyone, not in an hour.
    await _store(pg_db)
    job = await ahead.enqueue(NewJob(store_id=STORE, capability="get_product"), now=ahead.wall())
    due = await true.next_run_at()
    assert due is not None and abs(due - time.time()) < 5
    # A lease taken by an honest worker does not look expired to the fast one (no second run).
    claimed = await true.claim("honest", now=true.wall(), lease_seconds=60)
    assert claimed is not None and claimed.id == job.id
    assert await ahead.claim("fast", now=ahead.wall(), lease_seconds=60) is None
    # Without the correction the fast worker would have taken it.
    naive = PostgresJobQueue(pg_db, database_clock=False)
    stolen = await naive.claim("naive-fast", now=ahead.wall(), lease_seconds=60)
    assert stolen is not None and stolen.id == job.id


STORE = "00000000-0000-0000-0000-0000000000aa"


async def _store(db: Database) -> None:
    from fusionhub.storage.schema import stores

    async with db.write() as conn:
        await conn.execute(
            stores.insert().values(id=STORE, name="skew", credentials_encrypted="x", created_at=0.0, updated_at=0.0)
        )
