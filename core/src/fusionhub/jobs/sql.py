"""The embedded backend: jobs in the `jobs` table of our database (SQLite by default).

Any number of worker processes on one machine share the SQLite file: every change is one
BEGIN IMMEDIATE transaction, so claims never collide. On a SQLite file a worker's turn (claim,
settle, exchange) runs as plain SQL on the file's own connection (`fusionhub.jobs.sqlite`: the
same effects, without SQLAlchemy's per-statement hops). The same statements run on
PostgreSQL (where the claim adds FOR UPDATE SKIP LOCKED), and the procrastinate backend
(`fusionhub.jobs.pg`) keeps these rows too: it replaces the claim, and adds its runs through
the hooks each transaction calls (`_begin`, `_scheduled`, `_run_ended`, `_cancelled`, …).
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.jobs.model import FINISHED, Decision, Job, JobStatus, NewJob
from fusionhub.storage.database import Database
from fusionhub.storage.schema import jobs as t
from fusionhub.storage.schema import stores

if TYPE_CHECKING:
    from fusionhub.jobs.sqlite import SqliteTurns

_FINISHED = [s.value for s in FINISHED]


def _row_to_job(row: sa.Row[Any]) -> Job:
    return job_from(row._mapping)


def job_from(m: Mapping[Any, Any]) -> Job:
    """A job from its columns as Python values (and, after a claim, its store's version)."""
    return Job(
        id=m["id"],
        store_id=m["store_id"],
        capability=m["capability"],
        params=m["params"],
        mode=m["mode"],
        status=JobStatus(m["status"]),
        run_at=m["run_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        attempts=m["attempts"],
        throttled=m["throttled"],
        claims=m["claims"],
        lease_until=m["lease_until"],
        worker_id=m["worker_id"],
        cancel_requested=m["cancel_requested"],
        result=m["result"],
        error_category=m["error_category"],
        error_message=m["error_message"],
        progress_done=m["progress_done"],
        progress_total=m["progress_total"],
        parent_id=m["parent_id"],
        item_index=m["item_index"],
        idempotency_key=m["idempotency_key"],
        level=m["level"],
        state=m["state"] or {},
        finished_at=m["finished_at"],
        run_id=m["run_id"],
        store_version=m.get(STORE_VERSION),
    )


def _values(job: NewJob, now: float) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "store_id": job.store_id,
        "capability": job.capability,
        "params": job.params,
        "mode": job.mode,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "throttled": 0,
        "run_at": now if job.run_at is None else job.run_at,
        "cancel_requested": False,
        "progress_done": 0,
        "parent_id": job.parent_id,
        "item_index": job.item_index,
        "idempotency_key": job.idempotency_key,
        "state": {},
        "created_at": now,
        "updated_at": now,
    }


def settled_status(decision: Decision, *, cancel_requested: bool) -> JobStatus:
    """The status a run's decision leaves its job in: a stop asked for while it ran wins over a re-run."""
    return JobStatus.CANCELLED if cancel_requested and not decision.status.finished else decision.status


def settled_values(decision: Decision, status: JobStatus, now: float) -> dict[str, Any]:
    """The columns a settle sets (their names make the SET clause, so the order is fixed)."""
    values: dict[str, Any] = {"status": status.value, "updated_at": now, "lease_until": None}
    if status is JobStatus.QUEUED:
        values["run_at"] = decision.run_at if decision.run_at is not None else now
    if status.finished:
        values["finished_at"] = now
    if status is JobStatus.SUCCEEDED:
        values["result"] = decision.result
        values["error_category"] = values["error_message"] = None
    values.update(decided_fields(decision))
    return values


def decided_fields(decision: Decision) -> dict[str, Any]:
    """The columns a decision sets whatever its status, when it says them (in a fixed order)."""
    fields: dict[str, Any] = {}
    if decision.error_category is not None:
        fields["error_category"] = decision.error_category
        fields["error_message"] = decision.error_message
    if decision.attempts is not None:
        fields["attempts"] = decision.attempts
    if decision.state is not None:
        fields["state"] = decision.state
    if decision.progress is not None:
        fields["progress_done"], fields["progress_total"] = decision.progress
    if decision.level is not None:
        fields["level"] = decision.level
    return fields


@dataclasses.dataclass(frozen=True, slots=True)
class _ClaimStatements:
    candidates: tuple[sa.Select[tuple[str]], ...]  # due, then orphaned
    pick_and_take: tuple[sa.Update, ...]  # SQLite: each candidate taken in one statement
    locked: tuple[sa.Select[tuple[str]], ...]  # PostgreSQL: each candidate, FOR UPDATE SKIP LOCKED
    by_id: sa.Update  # PostgreSQL: take the locked one


# A claim returns the claimed job's row and its store's version (see `Job.store_version`).
STORE_VERSION = "store_version"
_STORE_VERSION = (
    sa.select(stores.c.updated_at).where(stores.c.id == t.c.store_id).scalar_subquery().label(STORE_VERSION)
)

_HELD_ROW = sa.select(t).where(
    t.c.id == sa.bindparam("p_id", type_=t.c.id.type),
    t.c.worker_id == sa.bindparam("p_worker", type_=t.c.worker_id.type),
    t.c.status == JobStatus.RUNNING.value,
)


@functools.cache
def _set_by_id(columns: tuple[str, ...], throttled: bool) -> sa.Update:
    """UPDATE jobs SET <columns, from the parameters> [, throttled = throttled + 1] WHERE id = :p_id."""
    statement = t.update().where(t.c.id == sa.bindparam("p_id", type_=t.c.id.type))
    return statement.values(throttled=t.c.throttled + 1) if throttled else statement


def _moved(job: NewJob, offset: float) -> NewJob:
    return job if job.run_at is None or not offset else dataclasses.replace(job, run_at=job.run_at + offset)


def _moved_decision(decision: Decision, offset: float) -> Decision:
    if not offset:
        return decision
    return dataclasses.replace(
        decision,
        run_at=None if decision.run_at is None else decision.run_at + offset,
        children=[_moved(child, offset) for child in decision.children],
    )


# What a backend that keeps runs elsewhere overrides (see below).
_HOOKS = ("_begin", "_scheduled", "_run_ended", "_cancelled", "_sync_cancel", "_held_row", "_pruning", "_hold_back")


class SqlJobQueue:
    def __init__(self, db: Database, *, store_concurrency: int = 1) -> None:
        self.db = db
        # Jobs of one store running at once. Its bucket decides what may be sent anyway; this
        # keeps a crowd of workers from all waking on the same refilled token (a thundering
        # herd where one job wins and the rest are re-scheduled again).
        self.store_concurrency = store_concurrency
        self._claim_statements: dict[bool, _ClaimStatements] = {}
        self._turns = self._direct_turns()

    def _direct_turns(self) -> SqliteTurns | None:
        """On a SQLite file, a worker's turn runs as plain SQL in one thread hop (`fusionhub.jobs.sqlite`),
        unless a subclass hooks into the transactions, which that path does not call."""
        if self.db.direct is None or any(getattr(type(self), h) is not getattr(SqlJobQueue, h) for h in _HOOKS):
            return None
        from fusionhub.jobs.sqlite import SqliteTurns  # it builds on this module

        return SqliteTurns(self.store_concurrency)

    # --- producers --------------------------------------------------------------------

    async def enqueue(self, job: NewJob, *, now: float) -> Job:
        if job.idempotency_key is not None:
            existing = await self._by_key(job.idempotency_key)
            if existing is not None:
                return existing
        try:
            async with self.db.write() as conn:
                offset = await self._begin(conn, now, stores=[job.store_id])
                values = _values(_moved(job, offset), now + offset)
                await conn.execute(t.insert().values(values))
                await self._scheduled(conn, [values["id"]])
        except IntegrityError:
            # Another producer enqueued the same key between our look-up and insert.
            if job.idempotency_key is not None:
                existing = await self._by_key(job.idempotency_key)
                if existing is not None:
                    return existing
            raise
        found = await self.get(values["id"])
        assert found is not None
        return found

    async def enqueue_many(self, new: Sequence[NewJob], *, now: float) -> list[str]:
        """Many jobs in one transaction (no idempotency look-up: give keys only to `enqueue`)."""
        if not new:
            return []
        async with self.db.write() as conn:
            offset = await self._begin(conn, now, stores=[job.store_id for job in new])
            rows = [_values(_moved(job, offset), now + offset) for job in new]
            await conn.execute(t.insert(), rows)
            await self._scheduled(conn, [row["id"] for row in rows])
        return [row["id"] for row in rows]

    async def _by_key(self, key: str) -> Job | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.idempotency_key == key))).first()
        return _row_to_job(row) if row else None

    async def get(self, job_id: str) -> Job | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.id == job_id))).first()
        return _row_to_job(row) if row else None

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        store_id: str | None = None,
        parent_id: str | None = None,
        limit: int | None = 100,
    ) -> builtins.list[Job]:
        query = sa.select(t)
        if status is not None:
            query = query.where(t.c.status == status.value)
        if store_id is not None:
            query = query.where(t.c.store_id == store_id)
        if parent_id is not None:
            query = query.where(t.c.parent_id == parent_id).order_by(t.c.item_index)
        else:
            query = query.order_by(t.c.created_at.desc(), t.c.id)
        if limit is not None:
            query = query.limit(limit)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_row_to_job(r) for r in rows]

    async def cancel(self, job_id: str, *, now: float) -> Job | None:
        async with self.db.write() as conn:
            now += await self._begin(conn, now, job_id=job_id)
            await self._cancel_tree(conn, [job_id], now)
        return await self.get(job_id)

    async def _cancel_tree(self, conn: AsyncConnection, ids: Sequence[str], now: float) -> None:
        if conn.dialect.name == "postgresql":
            await self._lock_tree(conn, ids)
        tree: list[str] = []
        while ids:
            tree += ids
            await conn.execute(
                t.update()
                .where(t.c.id.in_(ids), t.c.status.in_([JobStatus.QUEUED.value, JobStatus.WAITING.value]))
                .values(status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now, lease_until=None)
            )
            await conn.execute(
                t.update()
                .where(t.c.id.in_(ids), t.c.status == JobStatus.RUNNING.value)
                .values(cancel_requested=True, updated_at=now)
            )
            rows = await conn.execute(sa.select(t.c.id).where(t.c.parent_id.in_(ids), t.c.status.not_in(_FINISHED)))
            ids = [r[0] for r in rows]
        await self._cancelled(conn, tree)

    async def _lock_tree(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        """Lock a job tree children first: a finishing child locks itself, then its parent, so
        locking in that same order keeps a cancel and a settle from deadlocking."""
        levels = [list(ids)]
        while levels[-1]:
            rows = await conn.execute(sa.select(t.c.id).where(t.c.parent_id.in_(levels[-1])))
            levels.append([r[0] for r in rows])
        for level in reversed(levels):
            if level:
                await conn.execute(sa.select(t.c.id).where(t.c.id.in_(level)).order_by(t.c.id).with_for_update())

    # --- what a backend that keeps runs elsewhere hooks into (no-ops here) -------------

    async def _begin(
        self, conn: AsyncConnection, now: float | None, *, stores: Sequence[str] = (), job_id: str | None = None
    ) -> float:
        """A write transaction starts. Returns the seconds to add to the caller's times to put
        them on the queue's clock (0: the caller's own).

        `now` is the caller's current time; None (a call that carries none): the last offset.
        `stores`, or the store of `job_id`: whose jobs the transaction may enqueue, settle or cancel.
        """
        return 0.0

    async def _scheduled(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        """These jobs just became QUEUED (enqueued, fanned out, or a parent woken)."""

    async def _run_ended(
        self, conn: AsyncConnection, job: Job, status: JobStatus, decision: Decision, run_at: float | None
    ) -> None:
        """A claimed job was settled: queued again for `run_at`, parked WAITING, or finished."""

    async def _cancelled(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        """A cancel went through this job tree (queued ones cancelled, running ones asked to stop)."""

    async def _sync_cancel(self, conn: AsyncConnection, job_id: str, worker_id: str) -> None:
        """Before a running job's lease is kept or its run settled: a stop asked for elsewhere is copied in."""

    async def _held_row(self, conn: AsyncConnection, job_id: str, worker_id: str) -> sa.Row[Any] | None:
        """The job's row if `worker_id` still holds it, a stop asked for elsewhere copied in first."""
        await self._sync_cancel(conn, job_id, worker_id)
        return (await conn.execute(_HELD_ROW, {"p_id": job_id, "p_worker": worker_id})).first()

    async def _pruning(self, conn: AsyncConnection, ids: Sequence[str]) -> None:
        """These finished jobs, with their per-item jobs, are about to be deleted."""

    # --- workers ----------------------------------------------------------------------

    def _candidates(self, tree: str | None = None) -> tuple[sa.Select[tuple[str]], sa.Select[tuple[str]]]:
        """Where to look, in order: due jobs of stores with room to run one more, then jobs whose worker died.

        The time is the bound parameter `p_now`; `tree` (the bound `p_tree`): only that job and
        its per-item jobs. Built once per shape (`_statements`): building them per claim cost
        more than running them.
        """
        now = sa.bindparam("p_now", type_=sa.Float)
        busy = (
            sa.select(t.c.store_id)
            .where(t.c.status == JobStatus.RUNNING.value, t.c.lease_until > now)
            .group_by(t.c.store_id)
            .having(sa.func.count() >= self.store_concurrency)
        )
        due = (
            sa.select(t.c.id)
            .where(t.c.status == JobStatus.QUEUED.value, t.c.run_at <= now, t.c.store_id.not_in(busy))
            .order_by(t.c.run_at, t.c.created_at)
            .limit(1)
        )
        orphaned = (
            sa.select(t.c.id)
            .where(t.c.status == JobStatus.RUNNING.value, t.c.lease_until <= now)
            .order_by(t.c.lease_until)
            .limit(1)
        )
        if tree is not None:
            tree_id = sa.bindparam("p_tree", type_=t.c.id.type)
            mine = sa.or_(t.c.id == tree_id, t.c.parent_id == tree_id)
            due, orphaned = due.where(mine), orphaned.where(mine)
        return due, orphaned

    def _statements(self, tree: bool) -> _ClaimStatements:
        cached = self._claim_statements.get(tree)
        if cached is None:
            candidates = self._candidates("tree" if tree else None)
            take = t.update().values(
                status=JobStatus.RUNNING.value,
                worker_id=sa.bindparam("p_worker", type_=t.c.worker_id.type),
                lease_until=sa.bindparam("p_lease_until", type_=sa.Float),
                updated_at=sa.bindparam("p_now", type_=sa.Float),
                claims=t.c.claims + 1,
            )
            # SQLite (one writer at a time): pick and take in one statement. PostgreSQL: row locks,
            # concurrent claimers skip each other's rows.
            pick_and_take = tuple(
                take.where(t.c.id == c.scalar_subquery()).returning(t, _STORE_VERSION) for c in candidates
            )
            locked = tuple(c.with_for_update(skip_locked=True) for c in candidates)
            by_id = take.where(t.c.id == sa.bindparam("p_id", type_=t.c.id.type)).returning(t, _STORE_VERSION)
            cached = self._claim_statements[tree] = _ClaimStatements(candidates, pick_and_take, locked, by_id)
        return cached

    async def claim(self, worker_id: str, *, now: float, lease_seconds: float, tree: str | None = None) -> Job | None:
        jobs = await self.claim_many(worker_id, now=now, lease_seconds=lease_seconds, limit=1, tree=tree)
        return jobs[0] if jobs else None

    async def claim_many(
        self, worker_id: str, *, now: float, lease_seconds: float, limit: int, tree: str | None = None
    ) -> builtins.list[Job]:
        """Up to `limit` due jobs in one transaction (each as `claim` would take it, one after another)."""
        if limit < 1:
            return []
        if (turns := self._turns) is not None:
            if not await self.db.run_direct(lambda conn: turns.any_due(conn, now, tree), write=False, quick=True):
                return []  # an idle worker looks without taking the write lock
            return await self.db.run_direct(
                lambda conn: turns.claim(conn, worker_id, now, lease_seconds, limit, tree), write=True, quick=True
            )
        if self.db.sqlite and not await self._any_due(now, tree):
            return []  # an idle worker looks without taking the write lock
        async with self.db.write() as conn:
            return await self._claim_in(conn, worker_id, now, lease_seconds, limit, tree)

    async def _claim_in(
        self, conn: AsyncConnection, worker_id: str, now: float, lease_seconds: float, limit: int, tree: str | None
    ) -> builtins.list[Job]:
        statements = self._statements(tree is not None)
        params: dict[str, Any] = {"p_now": now, "p_worker": worker_id, "p_lease_until": now + lease_seconds}
        if tree is not None:
            params["p_tree"] = tree
        jobs: builtins.list[Job] = []
        while len(jobs) < limit:
            row = None
            for index in range(len(statements.candidates)):
                if self.db.sqlite:
                    row = (await conn.execute(statements.pick_and_take[index], params)).first()
                else:
                    job_id = (await conn.execute(statements.locked[index], params)).scalar()
                    if job_id is not None:
                        row = (await conn.execute(statements.by_id, {**params, "p_id": job_id})).first()
                if row is not None:
                    break
            if row is None:
                break
            jobs.append(_row_to_job(row))
        return jobs

    async def _any_due(self, now: float, tree: str | None) -> bool:
        statements = self._statements(tree is not None)
        params: dict[str, Any] = {"p_now": now} if tree is None else {"p_now": now, "p_tree": tree}
        async with self.db.read() as conn:
            for candidate in statements.candidates:
                if (await conn.execute(candidate, params)).first() is not None:
                    return True
        return False

    def _held(self, job_id: str, worker_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(t.c.id == job_id, t.c.worker_id == worker_id, t.c.status == JobStatus.RUNNING.value)

    async def extend(self, job_id: str, worker_id: str, *, lease_until: float) -> bool:
        async with self.db.write() as conn:
            lease_until += await self._begin(conn, None)
            await self._sync_cancel(conn, job_id, worker_id)
            done = await conn.execute(
                t.update()
                .where(self._held(job_id, worker_id), t.c.cancel_requested.is_(False))
                .values(lease_until=lease_until)
            )
        return done.rowcount == 1

    async def settle(self, job_id: str, worker_id: str, decision: Decision, *, now: float) -> bool:
        if (turns := self._turns) is not None:
            return await self.db.run_direct(
                lambda conn: turns.settle(conn, job_id, worker_id, decision, now), write=True, quick=True
            )
        async with self.db.write() as conn:
            offset = await self._begin(conn, now, job_id=job_id)
            return await self._settle(conn, job_id, worker_id, _moved_decision(decision, offset), now + offset)

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
        """Settle these runs (each as `settle` would) and claim up to `claim` jobs: a worker's
        whole turn, in as few transactions as the backend allows (one here).

        Each settle keeps its own all-or-nothing effect; they commit together.
        """
        if not settles:
            return [], await self.claim_many(worker_id, now=now, lease_seconds=lease_seconds, limit=claim, tree=tree)
        if (turns := self._turns) is not None:
            return await self.db.run_direct(
                lambda conn: turns.exchange(conn, worker_id, settles, now, lease_seconds, claim, tree),
                write=True,
                quick=True,
            )
        async with self.db.write() as conn:
            kept = await self._settle_all(conn, worker_id, settles, now)
            jobs = await self._claim_in(conn, worker_id, now, lease_seconds, claim, tree) if claim > 0 else []
        return kept, jobs

    async def _settle_all(
        self, conn: AsyncConnection, worker_id: str, settles: Sequence[tuple[Job, Decision]], now: float
    ) -> builtins.list[bool]:
        offset = await self._begin(conn, now, stores=[job.store_id for job, _ in settles])
        return [
            await self._settle(conn, job.id, worker_id, _moved_decision(decision, offset), now + offset)
            for job, decision in settles
        ]

    async def _settle(self, conn: AsyncConnection, job_id: str, worker_id: str, decision: Decision, now: float) -> bool:
        row = await self._held_row(conn, job_id, worker_id)
        if row is None:
            return False  # the lease ran out and another worker has (or had) the job
        job = _row_to_job(row)
        status = settled_status(decision, cancel_requested=job.cancel_requested)
        values = settled_values(decision, status, now)
        # The SET clause comes from the parameters' names: one cached statement per shape.
        await conn.execute(_set_by_id(tuple(values), decision.throttled), {**values, "p_id": job_id})
        await self._run_ended(conn, job, status, decision, values.get("run_at"))
        if status is JobStatus.WAITING and decision.children:
            rows = [_values(child, now) for child in decision.children]
            await conn.execute(t.insert(), rows)
            await self._scheduled(conn, [r["id"] for r in rows])
        if status is JobStatus.CANCELLED:
            await self._cancel_tree(conn, [job_id], now)
        if decision.throttled and status is JobStatus.QUEUED:
            await self._hold_back(conn, job, values["run_at"], now)
        if status.finished and job.parent_id is not None:
            await self._child_finished(conn, job.parent_id, now)
        return True

    async def _hold_back(self, conn: AsyncConnection, job: Job, run_at: float, now: float) -> None:
        """The store's bucket for this capability is empty: its other due jobs wait too.

        Without this, every worker would claim them one after another only to be refused.
        """
        # SKIP LOCKED (PostgreSQL): rows another transaction holds are left alone, never waited
        # for, so two settles holding back each other's rows cannot deadlock.
        held = (
            sa.select(t.c.id)
            .where(
                t.c.store_id == job.store_id,
                t.c.capability == job.capability,
                t.c.status == JobStatus.QUEUED.value,
                t.c.run_at < run_at,
            )
            .with_for_update(skip_locked=True)
        )
        await conn.execute(t.update().where(t.c.id.in_(held.scalar_subquery())).values(run_at=run_at, updated_at=now))

    async def _child_finished(self, conn: AsyncConnection, parent_id: str, now: float) -> None:
        if conn.dialect.name == "postgresql":
            # Children finishing at once take turns here, so the last one counts every sibling
            # (its count would otherwise miss one still uncommitted, and nobody would wake the parent).
            await conn.execute(sa.select(t.c.id).where(t.c.id == parent_id).with_for_update())
        done = (
            await conn.execute(sa.select(sa.func.count()).where(t.c.parent_id == parent_id, t.c.status.in_(_FINISHED)))
        ).scalar_one()
        await conn.execute(t.update().where(t.c.id == parent_id).values(progress_done=done, updated_at=now))
        # The last child wakes the parent, which then aggregates the children's results.
        woken = await conn.execute(
            t.update()
            .where(
                t.c.id == parent_id,
                t.c.status == JobStatus.WAITING.value,
                t.c.progress_total.is_not(None),
                t.c.progress_total <= done,
            )
            .values(status=JobStatus.QUEUED.value, run_at=now)
        )
        if woken.rowcount:
            await self._scheduled(conn, [parent_id])

    async def next_run_at(self) -> float | None:
        if (turns := self._turns) is not None:
            return await self.db.run_direct(turns.next_run_at, write=False, quick=True)
        async with self.db.read() as conn:
            due = (
                await conn.execute(sa.select(sa.func.min(t.c.run_at)).where(t.c.status == JobStatus.QUEUED.value))
            ).scalar()
            lease = (
                await conn.execute(sa.select(sa.func.min(t.c.lease_until)).where(t.c.status == JobStatus.RUNNING.value))
            ).scalar()
        times = [x for x in (due, lease) if x is not None]
        return min(times) if times else None

    async def prune(self, *, finished_before: float) -> int:
        async with self.db.write() as conn:
            finished_before += await self._begin(conn, None)
            ids = [
                r[0]
                for r in await conn.execute(
                    sa.select(t.c.id).where(
                        t.c.parent_id.is_(None), t.c.status.in_(_FINISHED), t.c.finished_at < finished_before
                    )
                )
            ]
            if not ids:
                return 0
            await self._pruning(conn, ids)
            await conn.execute(t.delete().where(t.c.id.in_(ids)))  # per-item jobs go with their parent (cascade)
        return len(ids)

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))).all()
        return {status: count for status, count in rows}
