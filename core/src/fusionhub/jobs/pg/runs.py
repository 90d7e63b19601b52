"""How a fusionhub job is run through procrastinate: its queue, its task, and the statements.

A job's *runs* are procrastinate jobs in queue `fusionhub`, task `fusionhub.run_job`, args
`{job_id, store_id, capability}`. Both `lock` and `queueing_lock` are the fusionhub job's id:
procrastinate then keeps at most one pending and one running run per job, and its unique
partial indexes on those columns find a job's run without a scan. Every statement calls
procrastinate's own SQL procedures (what its JobManager calls), inside our transaction.
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
# One run per job id, in the order given: procrastinate fetches equal priorities by its own id.
DEFER = sa.text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0, j.id::text, j.id::text,
               jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
               to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
    FROM jobs AS j
    WHERE j.id = ANY(CAST(:ids AS uuid[]))
    ORDER BY array_position(CAST(:ids AS uuid[]), j.id)
)))
""")
_FETCH = sa.text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY[:queue]::varchar[], NULL)")
_RETRY = sa.text(
    "SELECT procrastinate_retry_job_v2(id, to_timestamp(:at), NULL, NULL, NULL)"
    " FROM procrastinate_jobs WHERE lock = :job_id AND status = 'doing'"
)
_FINISH = sa.text(
    "SELECT procrastinate_finish_job_v1(id, CAST(:status AS procrastinate_job_status), false)"
    " FROM procrastinate_jobs WHERE id = :run_id"
)
_RUNNING = sa.text("SELECT id, abort_requested FROM procrastinate_jobs WHERE lock = :job_id AND status = 'doing'")
# Pending runs are cancelled; running ones are asked to abort (their worker's heartbeat sees it).
_CANCEL = sa.text(
    "SELECT procrastinate_cancel_job_v1(id, status = 'doing', false) FROM procrastinate_jobs"
    " WHERE (queueing_lock = ANY(CAST(:ids AS text[])) AND status = 'todo')"
    " OR (lock = ANY(CAST(:ids AS text[])) AND status = 'doing')"
)
# Only moves runs later, and skips rows another transaction holds (never waits on them).
_HOLD_BACK = sa.text("""
UPDATE procrastinate_jobs SET scheduled_at = to_timestamp(:at)
WHERE id IN (
    SELECT id FROM procrastinate_jobs
    WHERE status = 'todo' AND scheduled_at < to_timestamp(:at)
      AND queueing_lock IN (
          SELECT id::text FROM jobs
          WHERE store_id = CAST(:store_id AS uuid) AND capability = :capability AND status = 'queued'
      )
    FOR UPDATE SKIP LOCKED
)
""")
_NEXT_DUE = sa.text(
    "SELECT extract(epoch FROM min(scheduled_at))::float8 FROM procrastinate_jobs"
    " WHERE queue_name = :queue AND status = 'todo'"
)
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


async def running(conn: AsyncConnection, job_id: str) -> tuple[int, bool] | None:
    """The job's running run: (run id, abort requested), or None."""
    row = (await conn.execute(_RUNNING, {"job_id": job_id})).first()
    return None if row is None else (int(row[0]), bool(row[1]))


async def retry(conn: AsyncConnection, job_id: str, at: float) -> bool:
    """procrastinate's retry: the running run is pending again, due at `at`; False if it had none."""
    return bool((await conn.execute(_RETRY, {"job_id": job_id, "at": at})).all())


async def finish(conn: AsyncConnection, run_id: int, status: JobStatus) -> None:
    await conn.execute(_FINISH, {"run_id": run_id, "status": END_STATUS[status]})


async def cancel(conn: AsyncConnection, ids: Sequence[str]) -> None:
    if ids:
        await conn.execute(_CANCEL, {"ids": list(ids)})


async def hold_back(conn: AsyncConnection, store_id: str, capability: str, at: float) -> None:
    await conn.execute(_HOLD_BACK, {"store_id": store_id, "capability": capability, "at": at})


async def next_due(conn: AsyncConnection) -> float | None:
    due = (await conn.execute(_NEXT_DUE, {"queue": QUEUE})).scalar()
    return None if due is None else float(due)
