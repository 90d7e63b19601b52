"""How a fusionhub job is run through procrastinate: its queue, its task, its lock, the statements.

A job's *runs* are procrastinate jobs in queue `fusionhub`, task `fusionhub.run_job`, args
`{job_id, store_id, capability}`, `queueing_lock` = the job's id (one pending run per job at
most, found by procrastinate's unique index). Our row keeps the id of the run it was claimed
with (`jobs.run_id`). Every statement calls procrastinate's own SQL procedures (what its
JobManager calls), inside our transaction.

A store's jobs queue in a line, procrastinate's lock `store:<id>`: its jobs run one at a time
and in order (a job is fetched only when no other job of its lock is running and none before
it is pending). Only the line's head has a procrastinate job; the rest wait in our table
("parked": queued, no run), and each head that ends promotes the next. That keeps
procrastinate's fetch short: it walks pending jobs in order and skips those whose lock is
busy, which with every queued job pending would cost a scan of a long line per claim (160 ms
for 50,000 jobs of one store). A run refused by the store's bucket is retried in its place, so
the line waits for the bucket to refill with it. A run due later (a delayed job, a back-off,
the next poll of a long-running operation) would hold the line back: it leaves the line, its
lock becoming `job:<id>`. Whoever changes a line holds its advisory lock (`LINE_LOCK`), taken
before any row, so heads are promoted exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.jobs.model import JobStatus
from fusionhub.storage.pg_procrastinate import DEFER, DUE_NOW, QUEUE, TASK, defer_params

# How a settled run ends in procrastinate. WAITING: the run handed its work to per-item
# children and succeeded; the parent gets a new run when the last child finishes.
END_STATUS: dict[JobStatus, str] = {
    JobStatus.WAITING: "succeeded",
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "aborted",
}


def line(store_id: str) -> str:
    return f"store:{store_id}"


LINE_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended('fusionhub:' || :line, 0))")
TRY_LINE_LOCK = sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended('fusionhub:' || :line, 0))")
_LOCK_LINE_OF = sa.text(
    "SELECT pg_advisory_xact_lock(hashtextextended('fusionhub:store:' || store_id::text, 0))"
    " FROM jobs WHERE id = CAST(:id AS uuid)"
)

_DUE = sa.text("""
SELECT j.id::text, j.store_id::text, to_timestamp(j.run_at) <= now() + make_interval(secs => :due_now)
FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS given(id, n) JOIN jobs AS j ON j.id = given.id
ORDER BY given.n
""")
# If the line is idle, its first parked job (queued, due, no pending run) heads it: one statement.
_PROMOTE = sa.text("""
SELECT procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0, :line, j.id::text,
               jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
               to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
    FROM jobs AS j
    WHERE j.store_id = CAST(:store_id AS uuid) AND j.status = 'queued'
      AND to_timestamp(j.run_at) <= now() + make_interval(secs => :due_now)
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS r WHERE r.queueing_lock = j.id::text AND r.status = 'todo')
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS r WHERE r.lock = :line AND r.status IN ('todo', 'doing'))
    ORDER BY j.run_at, j.created_at, j.item_index
    LIMIT 1
))
""")
_FETCH = sa.text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY[:queue]::varchar[], NULL)")
# procrastinate's fetch (the same rules: due, the lock idle, the first of its lock), limited to the
# runs of one job tree and of the jobs ahead of them in their store's line (`run --wait`): a line
# none of the tree's jobs waits in any more is not served.
_FETCH_TREE = sa.text("""
WITH tree AS (
    SELECT id::text AS id, store_id FROM jobs
    WHERE (id = CAST(:tree AS uuid) OR parent_id = CAST(:tree AS uuid)) AND status = 'queued'
), candidate AS (
    SELECT r.id FROM procrastinate_jobs AS r
    WHERE r.queue_name = :queue AND r.status = 'todo'
      AND (r.scheduled_at IS NULL OR r.scheduled_at <= now())
      AND (r.queueing_lock IN (SELECT id FROM tree) OR r.lock IN (SELECT DISTINCT 'store:' || store_id::text FROM tree))
      AND NOT EXISTS (
          SELECT 1 FROM procrastinate_jobs AS other
          WHERE r.lock IS NOT NULL AND other.lock = r.lock
            AND (other.status = 'doing' OR (other.status = 'todo'
                 AND (other.priority > r.priority OR (other.priority = r.priority AND other.id < r.id))))
      )
    ORDER BY r.priority DESC, r.id
    LIMIT 1
    FOR UPDATE OF r SKIP LOCKED
)
UPDATE procrastinate_jobs AS r SET status = 'doing', worker_id = NULL FROM candidate
WHERE r.id = candidate.id
RETURNING r.id, r.args
""")
# Each of these also says whether the run was in its store's line (its lock as read before the call).
# new_lock NULL keeps the run's lock (its place in the line).
_RETRY = sa.text(
    "SELECT lock LIKE 'store:%', procrastinate_retry_job_v2(id, to_timestamp(:at), NULL, NULL, :lock)"
    " FROM procrastinate_jobs WHERE id = :run_id"
)
_FINISH = sa.text(
    "SELECT lock LIKE 'store:%', procrastinate_finish_job_v1(id, CAST(:status AS procrastinate_job_status), false)"
    " FROM procrastinate_jobs WHERE id = :run_id"
)
# A running job whose run was aborted (by us, or procrastinate's own tools): our row learns of it.
_SYNC_ABORT = sa.text("""
UPDATE jobs SET cancel_requested = true
WHERE id = CAST(:job_id AS uuid) AND worker_id = :worker_id AND status = 'running' AND NOT cancel_requested
  AND EXISTS (
      SELECT 1 FROM procrastinate_jobs AS r WHERE r.id = jobs.run_id AND r.status = 'doing' AND r.abort_requested
  )
""")
# Pending runs are cancelled; running ones are asked to abort (their worker's heartbeat sees it).
_CANCEL = sa.text("""
SELECT procrastinate_cancel_job_v1(r.id, r.status = 'doing', false) FROM procrastinate_jobs AS r
WHERE (r.queueing_lock = ANY(CAST(:ids AS text[])) AND r.status = 'todo')
   OR (r.id IN (SELECT run_id FROM jobs WHERE id = ANY(CAST(:ids AS uuid[]))) AND r.status = 'doing')
""")
_DELETE = sa.text("""
WITH RECURSIVE tree(id) AS (
    SELECT id FROM jobs WHERE id = ANY(CAST(:ids AS uuid[]))
    UNION ALL
    SELECT j.id FROM jobs AS j JOIN tree ON j.parent_id = tree.id
)
DELETE FROM procrastinate_jobs
WHERE queueing_lock IN (SELECT id::text FROM tree) AND status NOT IN ('todo', 'doing')
""")
# The earliest a fetch can return a run (each idle line's first pending run, and runs out of
# line) or a lease runs out (a claim then recovers the job), whichever comes first.
_NEXT_DUE = sa.text("""
SELECT least(
    (SELECT extract(epoch FROM min(head.scheduled_at))::float8 FROM (
        SELECT DISTINCT ON (r.lock) r.scheduled_at FROM procrastinate_jobs AS r
        WHERE r.queue_name = :queue AND r.status = 'todo'
          AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS busy WHERE busy.lock = r.lock AND busy.status = 'doing')
        ORDER BY r.lock, r.priority DESC, r.id
    ) AS head),
    (SELECT min(lease_until) FROM jobs WHERE status = 'running')
)
""")


async def lock_lines(conn: AsyncConnection, stores: Sequence[str] = (), job_id: str | None = None) -> None:
    """Hold these stores' lines (or the line of `job_id`'s store) until the transaction ends."""
    # A transaction holds one line (a job tree is one store's), or several taken in one order:
    # two transactions never wait on each other in a ring.
    for name in sorted({line(s) for s in stores}):
        await conn.execute(LINE_LOCK, {"line": name})
    if job_id is not None:
        await conn.execute(_LOCK_LINE_OF, {"id": job_id})


async def try_lock_line(conn: AsyncConnection, store_id: str) -> bool:
    return bool((await conn.execute(TRY_LINE_LOCK, {"line": line(store_id)})).scalar())


async def schedule(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """These jobs were just queued: due later, a run out of line; due now, in line behind the
    store's head (parked), or heading it when the line is idle. Their lines are held by the caller."""
    rows = (await conn.execute(_DUE, {"ids": list(ids), "due_now": DUE_NOW})).all()
    later = [job_id for job_id, _, due in rows if not due]
    if later:
        await conn.execute(DEFER, defer_params(later, in_line=False))
    for store_id in dict.fromkeys(store_id for _, store_id, due in rows if due):
        await promote(conn, store_id)  # heads an idle line: the store's first parked job, in order


async def promote(conn: AsyncConnection, store_id: str) -> None:
    """The line's head is gone: the next parked job, if any, heads it now."""
    params = {"queue": QUEUE, "task": TASK, "line": line(store_id), "store_id": store_id, "due_now": DUE_NOW}
    await conn.execute(_PROMOTE, params)


async def fetch(conn: AsyncConnection, tree: str | None = None) -> tuple[int, str] | None:
    """procrastinate's fetch: the next due run of our queue (of `tree`: see `_FETCH_TREE`), now `doing`;
    (run id, job id)."""
    if tree is None:
        row = (await conn.execute(_FETCH, {"queue": QUEUE})).first()
    else:
        row = (await conn.execute(_FETCH_TREE, {"queue": QUEUE, "tree": tree})).first()
    if row is None or row[0] is None:
        return None
    args: dict[str, Any] = row[1]
    return int(row[0]), str(args["job_id"])


async def retry(conn: AsyncConnection, run_id: int, job_id: str, at: float, *, keep_place: bool) -> bool:
    """procrastinate's retry: the running run is pending again, due at `at`; in its place, or out of line.
    Whether it was in its store's line."""
    params = {"run_id": run_id, "at": at, "lock": None if keep_place else f"job:{job_id}"}
    return bool((await conn.execute(_RETRY, params)).scalar())


async def finish(conn: AsyncConnection, run_id: int, status: JobStatus) -> bool:
    """procrastinate's finish; whether the run was in its store's line."""
    return bool((await conn.execute(_FINISH, {"run_id": run_id, "status": END_STATUS[status]})).scalar())


async def sync_abort(conn: AsyncConnection, job_id: str, worker_id: str) -> None:
    await conn.execute(_SYNC_ABORT, {"job_id": job_id, "worker_id": worker_id})


async def cancel(conn: AsyncConnection, ids: Sequence[str]) -> None:
    if ids:
        await conn.execute(_CANCEL, {"ids": list(ids)})


async def delete(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """The ended runs of these jobs and of their per-item jobs (their events go with them)."""
    await conn.execute(_DELETE, {"ids": list(ids)})


async def next_due(conn: AsyncConnection) -> float | None:
    """When a claim may next find something: a run due, or a lease run out (database clock)."""
    due = (await conn.execute(_NEXT_DUE, {"queue": QUEUE})).scalar()
    return None if due is None else float(due)
