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


async def job_view(db: Database, job: Job) -> dict[str, Any]:
    """`fusionhub jobs show --json`'s fields, with `items` (per-item counts) and `percent`."""
    data = job_data(job)
    items = await item_counts(db, job.id)
    data["items"] = items
    total = job.progress_total or (sum(items.values()) or None)
    done = job.progress_done or (items["succeeded"] + items["failed"] + items["cancelled"])
    data["percent"] = 100 if job.status is JobStatus.SUCCEEDED and total else percent(done, total)
    return data


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
