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

QUEUE = "fusionhub"
TASK = "fusionhub.run_job"
DUE_NOW = 1.0  # seconds: a job due within this is in line (a caller's "now" moved onto the database clock)

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
_STORE_OF = sa.text("SELECT store_id::text FROM jobs WHERE id = CAST(:id AS uuid)")

# `jobs` is our table (fusionhub.storage.schema); its ids are uuids, procrastinate's locks text.
# One run per job id, in the order given (procrastinate fetches equal priorities by its own id).
DEFER = sa.text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0,
               CASE WHEN :in_line THEN 'store:' || j.store_id ELSE 'job:' || j.id END,
               j.id::text,
               jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
               to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS given(id, n) JOIN jobs AS j ON j.id = given.id
    ORDER BY given.n
)))
""")
_DUE = sa.text("""
SELECT j.id::text, j.store_id::text, to_timestamp(j.run_at) <= now() + make_interval(secs => :due_now)
FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS given(id, n) JOIN jobs AS j ON j.id = given.id
ORDER BY given.n
""")
_LINE_BUSY = sa.text(
    "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE lock = :line AND status IN ('todo', 'doing'))"
)
# The store's first parked job: queued, due, no pending run.
_NEXT_PARKED = sa.text("""
SELECT j.id::text FROM jobs AS j
WHERE j.store_id = CAST(:store_id AS uuid) AND j.status = 'queued'
  AND to_timestamp(j.run_at) <= now() + make_interval(secs => :due_now)
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS r WHERE r.queueing_lock = j.id::text AND r.status = 'todo')
ORDER BY j.run_at, j.created_at
LIMIT 1
""")
_FETCH = sa.text("SELECT id, args FROM procrastinate_fetch_job_v2(ARRAY[:queue]::varchar[], NULL)")
_LOCK_OF = sa.text("SELECT lock FROM procrastinate_jobs WHERE id = :run_id")
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
# For `fusionhub db upgrade` on a database the embedded backend used: queued jobs due later get
# their run out of line, and each store's first due one heads its line (the rest are parked).
ADOPT_LATER = sa.text("""
SELECT id::text FROM jobs WHERE status = 'queued' AND to_timestamp(run_at) > now() + make_interval(secs => :due_now)
ORDER BY run_at, created_at
""")
ADOPT_HEADS = sa.text("""
SELECT id::text FROM (
    SELECT DISTINCT ON (store_id) id, run_at, created_at FROM jobs
    WHERE status = 'queued' AND to_timestamp(run_at) <= now() + make_interval(secs => :due_now)
    ORDER BY store_id, run_at, created_at
) AS heads ORDER BY run_at, created_at
""")


def defer_params(ids: Sequence[str], *, in_line: bool) -> dict[str, Any]:
    return {"queue": QUEUE, "task": TASK, "ids": list(ids), "in_line": in_line}


async def lock_lines(conn: AsyncConnection, stores: Sequence[str] = (), job_id: str | None = None) -> None:
    """Hold these stores' lines (or the line of `job_id`'s store) until the transaction ends."""
    names = {line(s) for s in stores}
    if job_id is not None:
        store = (await conn.execute(_STORE_OF, {"id": job_id})).scalar()
        if store is not None:
            names.add(line(store))
    for name in sorted(names):  # one order everywhere: two transactions never wait on each other in a ring
        await conn.execute(LINE_LOCK, {"line": name})


async def try_lock_line(conn: AsyncConnection, store_id: str) -> bool:
    return bool((await conn.execute(TRY_LINE_LOCK, {"line": line(store_id)})).scalar())


async def schedule(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """These jobs were just queued: due later, a run out of line; due now, in line behind the
    store's head (parked), or heading it when the line is idle. Their lines are held by the caller."""
    rows = (await conn.execute(_DUE, {"ids": list(ids), "due_now": DUE_NOW})).all()
    later = [job_id for job_id, _, due in rows if not due]
    if later:
        await conn.execute(DEFER, defer_params(later, in_line=False))
    first: dict[str, str] = {}
    for job_id, store_id, due in rows:
        if due:
            first.setdefault(store_id, job_id)
    for store_id, job_id in first.items():
        if not (await conn.execute(_LINE_BUSY, {"line": line(store_id)})).scalar():
            await conn.execute(DEFER, defer_params([job_id], in_line=True))


async def promote(conn: AsyncConnection, store_id: str) -> None:
    """The line's head is gone: the next parked job, if any, heads it now."""
    if (await conn.execute(_LINE_BUSY, {"line": line(store_id)})).scalar():
        return
    following = (await conn.execute(_NEXT_PARKED, {"store_id": store_id, "due_now": DUE_NOW})).scalar()
    if following is not None:
        await conn.execute(DEFER, defer_params([following], in_line=True))


async def fetch(conn: AsyncConnection) -> tuple[int, str] | None:
    """procrastinate's fetch: the next due run of our queue, now `doing`; (run id, job id)."""
    row = (await conn.execute(_FETCH, {"queue": QUEUE})).first()
    if row is None or row[0] is None:
        return None
    args: dict[str, Any] = row[1]
    return int(row[0]), str(args["job_id"])


async def in_line(conn: AsyncConnection, run_id: int) -> bool:
    lock = (await conn.execute(_LOCK_OF, {"run_id": run_id})).scalar()
    return isinstance(lock, str) and lock.startswith("store:")


async def retry(conn: AsyncConnection, run_id: int, job_id: str, at: float, *, keep_place: bool) -> None:
    """procrastinate's retry: the running run is pending again, due at `at`; in its place, or out of line."""
    await conn.execute(_RETRY, {"run_id": run_id, "at": at, "lock": None if keep_place else f"job:{job_id}"})


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
