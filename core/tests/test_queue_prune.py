"""`JobQueue.prune` and `fusionhub jobs prune` on both backends: finished jobs go, with their
per-item jobs and (PostgreSQL) their procrastinate jobs; unfinished ones stay."""

from __future__ import annotations

import time

import sqlalchemy as sa
from runtime_db import database  # noqa: F401 - the parametrized fixture

from fusionhub.jobs import Decision, JobQueue, JobStatus, NewJob
from fusionhub.jobs.pg import queue_for
from fusionhub.storage import Database
from fusionhub.storage.schema import jobs, stores

STORE = "00000000-0000-0000-0000-0000000000bb"


async def _run(queue: JobQueue, job_id: str, decision: Decision) -> None:
    claimed = await queue.claim("w", now=time.time(), lease_seconds=60)
    assert claimed is not None and claimed.id == job_id
    assert await queue.settle(job_id, "w", decision, now=time.time())


async def test_prune_deletes_finished_jobs_with_their_items_and_keeps_the_rest(database: Database) -> None:  # noqa: F811
    async with database.write() as conn:
        await conn.execute(
            stores.insert().values(id=STORE, name="p", credentials_encrypted="x", created_at=0.0, updated_at=0.0)
        )
    queue = queue_for(database)
    parent = await queue.enqueue(NewJob(STORE, "bulk_update"), now=time.time())
    items = [NewJob(STORE, "update_product", parent_id=parent.id, item_index=i) for i in range(2)]
    await _run(queue, parent.id, Decision(JobStatus.WAITING, children=items, progress=(0, 2)))
    for child in await queue.list(parent_id=parent.id, limit=None):
        await _run(queue, child.id, Decision(JobStatus.SUCCEEDED, result={}))
    await _run(queue, parent.id, Decision(JobStatus.SUCCEEDED, result={}))
    waiting = await queue.enqueue(NewJob(STORE, "get_product"), now=time.time())

    assert await queue.prune(finished_before=time.time() - 3600) == 0  # finished just now: kept
    assert await queue.prune(finished_before=time.time() + 60) == 1
    async with database.read() as conn:
        left = [r[0] for r in await conn.execute(sa.select(jobs.c.id))]
        runs = None
        if database.dialect == "postgresql":
            runs = (await conn.execute(sa.text("SELECT queueing_lock, status::text FROM procrastinate_jobs"))).all()
            events = (await conn.execute(sa.text("SELECT count(*) FROM procrastinate_events"))).scalar()
    assert left == [waiting.id]  # the bulk and its two items are gone; the queued job stays
    if runs is not None:
        # Our queue's runs keep no event history (`pg_procrastinate.QUIETED`): none left behind either.
        assert runs == [(waiting.id, "todo")] and events == 0
