"""The jobs pages and API over PostgreSQL (procrastinate runs the queue there): the per-item counts
and the top-level listing are the serve package's own queries over the jobs table, so they are
checked on both backends. Skips, saying why, without a reachable server (fails under CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from serve_fixtures import BASE, TOKEN, Sandboxed, sandboxed
from test_serve_jobs import bulk_of, finish_items, step

from fusionhub.jobs import Worker
from fusionhub.serve import AdminToken, create_app
from fusionhub.storage import Database

PG_URL = os.environ.get("FUSIONHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AUTH = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = pytest.mark.postgres


class OnPostgres:
    """What test_serve_jobs' helpers read (runtime, client, gumroad) over a PostgreSQL runtime."""

    def __init__(self, made: Sandboxed, client: httpx.AsyncClient) -> None:
        self.runtime, self.client, self.gumroad = made.runtime, client, made.gumroad


async def _schema() -> str:
    schema = f"fh_serve_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if os.environ.get("FUSIONHUB_TEST_POSTGRES_URL"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    finally:
        await admin.aclose()
    return schema


async def _drop(schema: str) -> None:
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.aclose()


@pytest.fixture
async def on_postgres(tmp_path: Path) -> AsyncIterator[Any]:
    schema = await _schema()
    try:
        made = await sandboxed(tmp_path, PG_URL, schema)
        try:
            app = create_app(made.runtime, AdminToken(TOKEN, "environment"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
                yield OnPostgres(made, client)
        finally:
            await made.runtime.aclose()
    finally:
        await _drop(schema)


async def test_a_bulks_item_counts_and_the_top_level_list_on_postgresql(on_postgres: Any) -> None:
    client = on_postgres.client
    made = await client.post(
        "/api/jobs",
        headers=AUTH,
        json={"store": "gumroad", "capability": "bulk_update", "params": bulk_of(on_postgres, 4)},
    )
    assert made.status_code == 201, made.text
    job_id = made.json()["id"]
    worker = Worker(on_postgres.runtime, concurrency=1)
    await step(on_postgres, worker)
    await finish_items(on_postgres, worker, job_id, 2)
    progress = (await client.get(f"/api/jobs/{job_id}/progress", headers=AUTH)).json()
    assert progress["items"] == {"queued": 2, "running": 0, "succeeded": 2, "failed": 0, "cancelled": 0}
    assert progress["status"] == "waiting" and progress["percent"] == 50
    listed = (await client.get("/api/jobs", headers=AUTH)).json()
    assert [j["id"] for j in listed] == [job_id]  # its four items are not listed
    assert (await client.get("/api/jobs", headers=AUTH, params={"status": "succeeded"})).json() == []
    cancelled = (await client.post(f"/api/jobs/{job_id}/cancel", headers=AUTH)).json()
    assert cancelled["status"] == "cancelled" and cancelled["items"]["cancelled"] == 2
    shown = (await client.get("/api/stores/gumroad", headers=AUTH)).json()
    assert shown["jobs"] == {"cancelled": 3, "succeeded": 2}
    assert (await client.get("/api/jobs/not-a-uuid", headers=AUTH)).status_code == 404  # never reaches the uuid column
