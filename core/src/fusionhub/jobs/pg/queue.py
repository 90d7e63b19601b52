"""The job queue on PostgreSQL, run through procrastinate.

Two rows, one job. Our `jobs` row holds what the job is: params, status (WAITING too), attempts,
result, progress, parent, lease, and its run's id. A procrastinate job holds when it runs next
(see `runs`). Every change to both happens in one transaction:

- enqueue: our row, and a run deferred for `run_at`, in its store's line (procrastinate's lock);
- claim: procrastinate's fetch (due by `scheduled_at <= now()`, one job per store line at a
  time and in order, SKIP LOCKED), then our row is leased to the worker;
- settle: re-scheduled (rate limit, back-off, operation poll) is procrastinate's retry at the
  new time, never a sleeping worker; finished is its finish (succeeded, failed, aborted); a
  fanned-out parent's run succeeds, and the last child to finish defers the parent a new one;
- cancel: pending runs are cancelled, running ones aborted; the worker's heartbeat (`extend`)
  sees procrastinate's abort flag, whoever set it;
- a worker that died: its lease runs out, and the next claim sends its run back to pending
  (procrastinate's retry, as its own stalled-job recovery does), once, under SKIP LOCKED.

Locks are taken on our row before its run everywhere except right after a fetch, where the
row is taken with SKIP LOCKED instead: a claim never waits on a cancel or settle, so they
cannot deadlock.

Clock: procrastinate compares `scheduled_at` with the database's `now()`, so the database
clock is the queue's clock. Each transaction starts by reading `now()` and handing over the
caller's time (`fusionhub.now`); times the caller gives are moved by the difference, and
workers on machines with skewed clocks agree on when a job is due and when a lease ends.
(A test database may define a `now()` that returns `fusionhub.now`: a virtual clock then
drives procrastinate too.) Job times are therefore on the database's clock.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.jobs.model import Decision, Job, JobStatus
from fusionhub.jobs.pg import runs, turn
from fusionhub.jobs.sql import _STORE_VERSION, SqlJobQueue, _row_to_job, job_from
from fusionhub.storage.database import Database
from fusionhub.storage.schema import jobs as t

_SYNC = sa.text("SELECT set_config('fusionhub.now', :now, true), extract(epoch FROM now())::float8")
_RUNS = sa.table("procrastinate_jobs", sa.column("id"), sa.column("status"), sa.column("abort_requested"))
# A held job's row with a stop asked of its run (by us, or procrastinate's own tools) copied in.
_HELD_SYNCED = (
    t.update()
    .where(
        t.c.id == sa.bindparam("p_id", type_=t.c.id.type),
        t.c.worker_id == sa.bindparam("p_worker", type_=t.c.worker_id.type),
        t.c.status == JobStatus.RUNNING.value,
    )
    .values(
        cancel_requested=sa.or_(
            t.c.cancel_requested,
            sa.exists().where(
                _RUNS.c.id == t.c.run_id, sa.cast(_RUNS.c.status, sa.Text) == "doing", _RUNS.c.abort_requested
            ),
        )
    )
    .returning(t)
)
_COUNTS = sa.select(t.c.status, sa.func.count()).group_by(t.c.status)
RECOVER_PER_CLAIM = 100  # stalled jobs sent back per claim: bounded work inside one transaction
# A claim looks for jobs whose worker died at most this often (seconds, per process), and only
# when the last turn's call saw one (`fusionhub_exchange_v2`'s o_stalled): a lease is seconds
# long, and looking is a transaction of many statements.
RECOVER_EVERY = 0.5


class _RecordBusy(Exception):
    """The fetched run's job row is held by a cancel or settle: give the run back."""


class ProcrastinateJobQueue(SqlJobQueue):
    def __init__(self, db: Database) -> None:
        if db.dialect != "postgresql":
            raise ValueError(f"ProcrastinateJobQueue needs a PostgreSQL database, not {db.dialect}")
        super().__init__(db)
        self._offset = 0.0
        self._recovered_at = float("-inf")
        self._stalled = True  # some running job's lease ran out, as the last turn saw: recover on a claim

    @property
    def clock_offset(self) -> float:
        """The database's clock minus the caller's, in seconds, as last measured."""
        return self._offset

    # --- the hooks of the SQL backend --------------------------------------------------

    async def _begin(
        self, conn: AsyncConnection, now: float | None, *, stores: Sequence[str] = (), job_id: str | None = None
    ) -> float:
        # The lines first, before any row: see `runs`.
        await runs.lock_lines(conn, stores, job_id)
        if now is None:
            return self._offset
        db_now = (await conn.execute(_SYNC, {"now": repr(now)})).one()[1]
        # Below a millisecond the difference is the round trip, not skew.
        self._offset = round(float(db_now) - now, 3)
        return self._offset

    async def _scheduled(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        await runs.schedule(conn, ids)

    async def _run_ended(
        self, conn: AsyncConnection, job: Job, status: JobStatus, decision: Decision, run_at: float | None
    ) -> None:
        if job.run_id is None:  # claimed before this backend ran it: no run to end
            if status is JobStatus.QUEUED:
                await runs.schedule(conn, [job.id])
            return
        if status is JobStatus.QUEUED:
            assert run_at is not None
            # Refused by the bucket: the run keeps its place at the head of the store's line, and
            # the line waits with it; so does one re-queued for now (its worker died). Anything
            # else is due later (back-off, next poll) and would hold the line: out it goes.
            keep_place = decision.throttled or decision.run_at is None
            was_in_line = await runs.retry(conn, job.run_id, job.id, run_at, keep_place=keep_place)
            if keep_place:
                return
        else:
            was_in_line = await runs.finish(conn, job.run_id, status)
        if was_in_line:
            await runs.promote(conn, job.store_id)

    async def _cancelled(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        await runs.cancel(conn, ids)
        stores = (await conn.execute(sa.select(t.c.store_id).where(t.c.id.in_(ids)).distinct())).scalars()
        for store_id in stores:  # a cancelled head makes way for the next job in line
            await runs.promote(conn, store_id)

    async def _sync_cancel(self, conn: AsyncConnection, job_id: str, worker_id: str) -> None:
        await runs.sync_abort(conn, job_id, worker_id)

    async def _held_row(self, conn: AsyncConnection, job_id: str, worker_id: str) -> sa.Row[Any] | None:
        # One statement: the abort copied in, the row locked and read.
        row: sa.Row[Any] | None = (await conn.execute(_HELD_SYNCED, {"p_id": job_id, "p_worker": worker_id})).first()
        return row

    async def _pruning(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        await runs.delete(conn, ids)

    async def _hold_back(self, conn: AsyncConnection, job: Job, run_at: float, now: float) -> None:
        """Nothing to move: the refused run heads its store's line, which waits for it (see `runs`)."""

    # --- workers ------------------------------------------------------------------------

    async def exchange(
        self,
        worker_id: str,
        settles: Sequence[tuple[Job, Decision]],
        *,
        now: float,
        lease_seconds: float,
        claim: int,
        tree: str | None = None,
    ) -> tuple[builtins.list[bool], builtins.list[Job]]:
        """A worker's turn in one server-side call (`turn`): one round trip. Settles the call does not
        cover (a fan-out, a cancel to carry out, a run-less job) go the Python way first, in one
        transaction; a turn the call cannot take at all (a tree's claim, a dead-worker scan due)
        goes that way whole."""
        claim = max(claim, 0)
        if tree is not None or (claim and self._stalled and self._recover_due(now + self._offset)):
            return await self._exchange_in_python(worker_id, settles, now, lease_seconds, claim, tree)
        kept: builtins.list[bool | None] = [None] * len(settles)
        general = [i for i, (job, decision) in enumerate(settles) if not turn.simple(job, decision)]
        if general:
            # The settles the call does not cover (a fan-out, a cancel) first, in one transaction of
            # their own: the stores they free are then claimable in the call, which takes the
            # simple settles and the claims.
            async with self.db.write() as conn:
                done = await self._settle_all(conn, worker_id, [settles[i] for i in general], now)
            for i, held in zip(general, done, strict=True):
                kept[i] = held
        simple = [(i, settles[i]) for i in range(len(settles)) if kept[i] is None]
        values = turn.params(worker_id, [s for _, s in simple], now=now, lease_seconds=lease_seconds, claim=claim)
        assert self.db.lane is not None  # every PostgreSQL database has one
        # Sent once more on a fresh connection if a reused one was dropped: a turn that did commit
        # before its answer was lost left its settles done (the second call finds them 'lost') and
        # its claims leased to this worker, claimed again once their lease lapses, never run twice.
        rows = await self.db.lane.fetchall(turn.EXCHANGE, values)
        if not rows or rows[0][0] != turn.OFFSET or len(rows) < 1 + len(simple):
            raise RuntimeError(f"fusionhub_exchange_v2 answered {len(rows)} rows for {len(simple)} settles")
        self._offset = float(rows[0][1])
        self._stalled = bool(rows[0][2])
        for (i, (job, decision)), row in zip(simple, rows[1 : 1 + len(simple)], strict=True):
            if row[0] == turn.PYTHON:  # the general path, in a transaction of its own
                kept[i] = await super().settle(job.id, worker_id, decision, now=now)
            else:
                kept[i] = row[0] == turn.KEPT
        return [bool(k) for k in kept], [
            job_from(dict(zip(turn.COLUMNS, row, strict=True))) for row in rows[1 + len(simple) :]
        ]

    async def _exchange_in_python(
        self,
        worker_id: str,
        settles: Sequence[tuple[Job, Decision]],
        now: float,
        lease_seconds: float,
        claim: int,
        tree: str | None,
    ) -> tuple[builtins.list[bool], builtins.list[Job]]:
        async with self.db.write() as conn:
            if settles:
                kept = await self._settle_all(conn, worker_id, settles, now)  # starts with `_begin`
            else:
                kept = []
                await self._begin(conn, now)
            jobs = await self._claim_in(conn, worker_id, now, lease_seconds, claim, tree) if claim else []
        return kept, jobs

    def _recover_due(self, now: float) -> bool:
        """Whether a claim at `now` (the database's clock) looks for dead workers' jobs (`RECOVER_EVERY`)."""
        return now - self._recovered_at >= RECOVER_EVERY or now < self._recovered_at

    async def claim_many(
        self, worker_id: str, *, now: float, lease_seconds: float, limit: int, tree: str | None = None
    ) -> builtins.list[Job]:
        if limit < 1:
            return []
        _, jobs = await self.exchange(worker_id, [], now=now, lease_seconds=lease_seconds, claim=limit, tree=tree)
        return jobs

    async def _claim_in(
        self, conn: AsyncConnection, worker_id: str, now: float, lease_seconds: float, limit: int, tree: str | None
    ) -> list[Job]:
        """Inside a transaction `_begin` started (the offset it measured moves `now`). A fetched run
        whose row is busy gives back this claim's runs (a savepoint), never the caller's settles."""
        now += self._offset
        if self._recover_due(now):
            await self._recover(conn, now)
            self._recovered_at = now
        try:
            async with conn.begin_nested():
                return await self._fetch(conn, worker_id, now, lease_seconds, limit, tree)
        except _RecordBusy:
            return []

    async def _fetch(
        self, conn: AsyncConnection, worker_id: str, now: float, lease_seconds: float, limit: int, tree: str | None
    ) -> list[Job]:
        jobs: list[Job] = []
        while len(jobs) < limit and (fetched := await runs.fetch(conn, tree)) is not None:
            run_id, job_id = fetched
            status = (
                await conn.execute(sa.select(t.c.status).where(t.c.id == job_id).with_for_update(skip_locked=True))
            ).scalar()
            if status is None and (await conn.execute(sa.select(t.c.id).where(t.c.id == job_id))).first():
                raise _RecordBusy
            if status != JobStatus.QUEUED.value:  # no such job, or not waiting to run: a stray run
                await self._discard(conn, run_id, job_id)
                continue
            row = (
                await conn.execute(
                    t.update()
                    .where(t.c.id == job_id)
                    .values(
                        status=JobStatus.RUNNING.value,
                        worker_id=worker_id,
                        lease_until=now + lease_seconds,
                        updated_at=now,
                        run_id=run_id,
                        claims=t.c.claims + 1,
                    )
                    .returning(t, _STORE_VERSION)
                )
            ).one()
            jobs.append(_row_to_job(row))
        return jobs

    async def _recover(self, conn: AsyncConnection, now: float) -> None:
        """Jobs whose worker stopped renewing its lease go back to the queue (or end, if cancelled).

        A claim waits on nothing: a line or a row held by another transaction is left for later.
        """
        expired = sa.and_(t.c.status == JobStatus.RUNNING.value, t.c.lease_until <= now)
        stalled = (
            await conn.execute(
                sa.select(t.c.id, t.c.worker_id, t.c.store_id)
                .where(expired)
                .order_by(t.c.lease_until)
                .limit(RECOVER_PER_CLAIM)
            )
        ).all()
        for job_id, worker_id, store_id in stalled:
            if not await runs.try_lock_line(conn, store_id):
                continue
            held = sa.select(t.c.id).where(t.c.id == job_id, expired).with_for_update(skip_locked=True)
            if (await conn.execute(held)).first() is None:
                continue
            # As if its worker had settled it "run again now"; a cancel asked of it ends it cancelled.
            await self._settle(conn, job_id, worker_id, Decision(JobStatus.QUEUED), now)

    async def _discard(self, conn: AsyncConnection, run_id: int, job_id: str) -> None:
        """A fetched run whose job is not queued (a database edited by hand): end it, and let its line go on."""
        was_in_line = await runs.finish(conn, run_id, JobStatus.FAILED)
        store_id = (await conn.execute(sa.select(t.c.store_id).where(t.c.id == job_id))).scalar()
        if was_in_line and store_id is not None and await runs.try_lock_line(conn, store_id):
            await runs.promote(conn, store_id)

    async def next_run_at(self) -> float | None:
        """On the caller's clock (by the last offset measured), so an idle worker naps for the right time."""
        async with self.db.one_statement() as conn:
            due = await runs.next_due(conn)
        return None if due is None else due - self._offset

    async def counts(self) -> dict[str, int]:
        async with self.db.one_statement() as conn:
            rows = (await conn.execute(_COUNTS)).all()
        return {status: count for status, count in rows}
