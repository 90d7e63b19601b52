"""How a fusionhub job is run through procrastinate: its queue, its task, its lock, the statements.

A job's *runs* are procrastinate jobs in queue `fusionhub`, task `fusionhub.run_job`, args
`{job_id, store_id, capability}`, `queueing_lock` = the job's id (one pending run per job at
most, found by procrastinate's unique index). Our row keeps the id of the run that is running
(`jobs.run_id`). Every statement calls procrastinate's own SQL procedures (what its JobManager
calls), inside our transaction.

The `lock` is the store's line, `store:<id>`: procrastinate runs a lock's jobs one at a time
and in order (a job is fetched only when no other job of its lock is running and none before
it is pending), so a store runs one job at a time, first come first served. A run refused by
the store's bucket is retried in its place at the head of the line, so the store's other jobs
wait with it for the bucket to refill, rather than each being fetched only to be refused. A
run due later than now (a delayed job, a back-off, the next poll of a long-running operation)
would hold the whole line back, so it leaves the line: its lock becomes `job:<id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.jobs.model import JobStatus

QUEUE = "fusionhub"
TASK = "fusionhub.run_job"

# How a settled run ends in procrastinate. WAITING: the run handed its work to per-item
# children and succeeded; the parent gets a new run when the last child finishes.
END_STATUS: dict[JobStatus, str] = {
    JobStatus.WAITING: "succeeded",
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "aborted",
}

# `jobs` is our table (fusionhub.storage.schema); its ids are uuids, procrastinate's locks text.
# One run per job id, in the order given (procrastinate fetches equal priorities by its own id),
# in the store's line if due now (within a second: a caller's "now" moved onto this clock).
DEFER = sa.text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0,
               CASE WHEN to_timestamp(j.run_at) <= now() + interval '1 second' THEN 'store:' || j.store_id
                    ELSE 'job:' || j.id END,
               j.id::text,
               jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
               to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
    FROM jobs AS j
    WHERE j.id = ANY(CAST(:ids AS uuid[]))
    ORDER BY array_position(CAST(:ids AS uuid[]), j.id)
)))
""")
_FETCH = sa.text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY[:queue]::varchar[], NULL)")
# new_lock NULL keeps the run's lock (its place in the line).
_RETRY = sa.text("SELECT procrastinate_retry_job_v2(:run_id, to_timestamp(:at), NULL, NULL, :lock)")
_FINISH = sa.text("SELECT procrastinate_finish_job_v1(:run_id, CAST(:status AS procrastinate_job_status), false)")
_ABORT_REQUESTED = sa.text("SELECT abort_requested FROM procrastinate_jobs WHERE id = :run_id AND status = 'doing'")
# Pending runs are cancelled; running ones are asked to abort (their worker's heartbeat sees it).
_CANCEL = sa.text("""
SELECT procrastinate_cancel_job_v1(r.id, r.status = 'doing', false) FROM procrastinate_jobs AS r
WHERE (r.queueing_lock = ANY(CAST(:ids AS text[])) AND r.status = 'todo')
   OR (r.id IN (SELECT run_id FROM jobs WHERE id = ANY(CAST(:ids AS uuid[]))) AND r.status = 'doing')
""")
# The earliest a fetch can return a run: each idle line's first pending run, and runs out of line.
_NEXT_DUE = sa.text("""
SELECT extract(epoch FROM min(head.scheduled_at))::float8 FROM (
    SELECT DISTINCT ON (r.lock) r.scheduled_at FROM procrastinate_jobs AS r
    WHERE r.queue_name = :queue AND r.status = 'todo'
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS busy WHERE busy.lock = r.lock AND busy.status = 'doing')
    ORDER BY r.lock, r.priority DESC, r.id
) AS head
""")
# Queued jobs with no pending run (enqueued by the embedded backend before this one took
# over): `fusionhub db upgrade` defers one for each. A running job without a run needs none
# now: when it is settled, or its lease runs out, the backend defers one if it runs again.
ORPHANS = sa.text("""
SELECT j.id FROM jobs AS j
WHERE j.status = 'queued'
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS r WHERE r.queueing_lock = j.id::text AND r.status = 'todo')
ORDER BY j.created_at, j.id
""")


def defer_params(ids: Sequence[str]) -> dict[str, Any]:
    return {"queue": QUEUE, "task": TASK, "ids": list(ids)}


async def defer(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """A pending run for each of these jobs, due at the job's `run_at` (on the database's clock)."""
    if ids:
        await conn.execute(DEFER, defer_params(ids))


async def fetch(conn: AsyncConnection) -> tuple[int, str] | None:
    """procrastinate's fetch: the next due run of our queue, now `doing`; (run id, job id)."""
    row = (await conn.execute(_FETCH, {"queue": QUEUE})).first()
    if row is None or row[0] is None:
        return None
    args: dict[str, Any] = row[1]
    return int(row[0]), str(args["job_id"])


async def retry(conn: AsyncConnection, run_id: int, job_id: str, at: float, *, in_line: bool) -> None:
    """procrastinate's retry: the running run is pending again, due at `at`; in its place, or out of line."""
    await conn.execute(_RETRY, {"run_id": run_id, "at": at, "lock": None if in_line else f"job:{job_id}"})


async def finish(conn: AsyncConnection, run_id: int, status: JobStatus) -> None:
    await conn.execute(_FINISH, {"run_id": run_id, "status": END_STATUS[status]})


async def abort_requested(conn: AsyncConnection, run_id: int) -> bool:
    return bool((await conn.execute(_ABORT_REQUESTED, {"run_id": run_id})).scalar())


async def cancel(conn: AsyncConnection, ids: Sequence[str]) -> None:
    if ids:
        await conn.execute(_CANCEL, {"ids": list(ids)})


async def next_due(conn: AsyncConnection) -> float | None:
    due = (await conn.execute(_NEXT_DUE, {"queue": QUEUE})).scalar()
    return None if due is None else float(due)
