"""PostgreSQL: a store line's promotion and a child's settle read jobs through indexes (migration
0011): the next promotion does not read and sort the whole line behind it."""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from runtime_db import _drop, _pg_schema

from fusionhub.storage import Database

pytestmark = pytest.mark.postgres

PROMOTE = importlib.import_module("fusionhub.storage.migrations.versions.0007_pg_queue_functions").PROMOTE
# The promotion's query: the first parked job of the store's line, as fusionhub_promote_v1 runs it.
NEXT_IN_LINE = re.search(r"FROM jobs AS j.*?LIMIT 1", PROMOTE, re.S).group(0)  # type: ignore[union-attr]
STORE = uuid.uuid4()
PARENT = uuid.uuid4()


@pytest.fixture
async def line() -> AsyncIterator[Database]:
    """A store whose line holds a bulk's 300 per-item jobs (one run_at) and 300 finished ones, beside
    other stores' finished bulks."""
    db, schema = await _pg_schema()
    await db.ensure_schema()
    try:
        async with db.write() as conn:
            await conn.execute(sa.text("ALTER TABLE jobs DISABLE TRIGGER ALL"))  # no store rows: a throw-away schema
            await conn.execute(
                sa.text(
                    "INSERT INTO jobs (id, store_id, capability, params, mode, status, attempts, throttled, claims, "
                    "run_at, cancel_requested, progress_done, parent_id, item_index, state, created_at, updated_at) "
                    "SELECT gen_random_uuid(), :store, 'update_product', '{}', 'automated', "
                    "CASE WHEN n <= 300 THEN 'succeeded' ELSE 'queued' END, 0, 0, 0, 1000, false, 0, :parent, n, "
                    "'{}', 1000, 1000 FROM generate_series(1, 600) AS n"
                ),
                {"store": STORE, "parent": PARENT},
            )
            await conn.execute(  # and other stores' bulks: 30 of 200 items
                sa.text(
                    "INSERT INTO jobs (id, store_id, capability, params, mode, status, attempts, throttled, claims, "
                    "run_at, cancel_requested, progress_done, parent_id, item_index, state, created_at, updated_at) "
                    "SELECT gen_random_uuid(), lpad(to_hex(n / 1000), 32, '0')::uuid, 'update_product', '{}', "
                    "'automated', 'succeeded', 0, 0, 0, 1000, false, 0, lpad(to_hex(n / 200), 32, '0')::uuid, n, "
                    "'{}', 1000, 1000 FROM generate_series(1, 6000) AS n"
                )
            )
            await conn.execute(sa.text("ANALYZE jobs"))
        yield db
    finally:
        await db.aclose()
        await _drop(schema)


async def _plan(db: Database, query: str, params: dict[str, object]) -> str:
    async with db.read() as conn:
        rows = await conn.execute(sa.text(f"EXPLAIN {query}"), params)
        return "\n".join(r[0] for r in rows)


async def test_the_next_job_in_line_comes_from_the_index_in_order(line: Database) -> None:
    query = "SELECT j.id " + NEXT_IN_LINE.replace("p_store", ":store").replace("p_due_now", ":due")
    plan = await _plan(line, query, {"store": STORE, "due": 1.0})
    assert "ix_jobs_store_id_status_run_at_created_at_item_index" in plan, plan
    assert "Sort" not in plan, plan  # the first in order, not all of them sorted


async def test_a_parents_finished_children_are_counted_from_the_index(line: Database) -> None:
    query = (
        "SELECT count(*) FROM jobs AS c WHERE c.parent_id = :parent "
        "AND c.status IN ('succeeded', 'failed', 'cancelled')"
    )
    plan = await _plan(line, query, {"parent": PARENT})
    assert "ix_jobs_parent_id_status" in plan, plan
