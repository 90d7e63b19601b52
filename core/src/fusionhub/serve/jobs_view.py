"""A job as the admin shows it: the queue's fields plus, for a fanned-out bulk, its per-item counts.

The counts come from one grouped query over the jobs table (both queue backends keep their jobs
there), so a job page polling every second costs one small query, not a read of every item.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from fusionhub.cli.jobs import job_data
from fusionhub.errors import NotFound
from fusionhub.jobs import Job, JobQueue, JobStatus
from fusionhub.storage.database import Database
from fusionhub.storage.schema import jobs as jt

ITEM_STATUSES = [s.value for s in JobStatus if s is not JobStatus.WAITING]


async def item_counts(db: Database, job_id: str) -> dict[str, int]:
    """{status: per-item jobs in it}; every status present, zero when none (all zero: not fanned out)."""
    query = sa.select(jt.c.status, sa.func.count()).where(jt.c.parent_id == job_id).group_by(jt.c.status)
    async with db.read() as conn:
        found = {str(status): int(n) for status, n in (await conn.execute(query)).all()}
    return {status: found.get(status, 0) for status in ITEM_STATUSES}


def percent(done: int, total: int | None) -> int | None:
    return None if not total else min(100, round(100 * done / total))


PROGRESS_FIELDS = ("id", "status", "progress_done", "progress_total", "finished_at", "error_category", "error_message")


async def progress_view(db: Database, job: Job) -> dict[str, Any]:
    """What moves while a job runs: status, progress, per-item counts, percent (no params, no result:
    a bulk's params can be megabytes, and the job page asks every second)."""
    data = {name: getattr(job, name) for name in PROGRESS_FIELDS}
    data["status"] = job.status.value
    items = await item_counts(db, job.id)
    data["items"] = items
    total = job.progress_total or (sum(items.values()) or None)
    done = job.progress_done or (items["succeeded"] + items["failed"] + items["cancelled"])
    data["percent"] = 100 if job.status is JobStatus.SUCCEEDED and total else percent(done, total)
    return data


async def job_view(db: Database, job: Job) -> dict[str, Any]:
    """`fusionhub jobs show --json`'s fields, with `items` (per-item counts) and `percent`."""
    return {**job_data(job), **await progress_view(db, job)}


async def find_job(queue: JobQueue, job_id: str) -> Job:
    """The job, or NotFound (a malformed id too: it names no job, and must not reach the database)."""
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise NotFound(f"no job {job_id!r}: job ids are UUIDs (see `fusionhub jobs list`)") from None
    job = await queue.get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job


async def top_level_jobs(
    db: Database, queue: JobQueue, *, status: JobStatus | None, store_id: str | None, limit: int
) -> list[Job]:
    """The newest jobs that are not a bulk's items, as the queue reads them.

    `queue.list` has no "top-level only" filter, and a bulk's thousands of items are newer than
    the bulk: the ids are picked here (one indexed query), each job read through the queue.
    """
    query = sa.select(jt.c.id).where(jt.c.parent_id.is_(None)).order_by(jt.c.created_at.desc(), jt.c.id).limit(limit)
    if status is not None:
        query = query.where(jt.c.status == status.value)
    if store_id is not None:
        query = query.where(jt.c.store_id == store_id)
    async with db.read() as conn:
        ids = [str(i) for i in (await conn.execute(query)).scalars()]
    found = [await queue.get(i) for i in ids]
    return [j for j in found if j is not None]  # one removed meanwhile (its store was) is left out
