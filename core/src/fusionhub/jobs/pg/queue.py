"""The job queue on PostgreSQL: the embedded backend's statements, timed by the database's clock.

Semantics come from `SqlJobQueue` unchanged (its claim is `FOR UPDATE SKIP LOCKED` here, so
workers on many machines never take the same job). What several machines add is clock skew:
a lease written by a machine whose clock lags looks expired early to one running ahead, which
would then run the job a second time. So every time a caller passes in (`now`, `run_at`,
`lease_until`) is moved onto the database's clock by the caller's measured offset from it
before it is stored or compared; every worker then agrees on when a job is due and when a
lease ends, whatever its own clock says. The offset is measured against `clock_timestamp()` on the
server (midpoint of the round trip) and refreshed every `offset_ttl` seconds.

`database_clock=False` keeps the caller's times as they are: for tests on a virtual clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import sqlalchemy as sa

from fusionhub.jobs.model import Decision, Job, NewJob
from fusionhub.jobs.sql import SqlJobQueue
from fusionhub.storage.database import Database


class PostgresJobQueue(SqlJobQueue):
    def __init__(
        self,
        db: Database,
        *,
        database_clock: bool = True,
        offset_ttl: float = 30.0,
        wall: Callable[[], float] = time.time,
        store_concurrency: int | None = None,  # None: the SQL backend's default
    ) -> None:
        if db.dialect != "postgresql":
            raise ValueError(f"PostgresJobQueue needs a PostgreSQL database, not {db.dialect}")
        if store_concurrency is None:
            super().__init__(db)
        else:
            super().__init__(db, store_concurrency=store_concurrency)
        self.database_clock = database_clock
        self.offset_ttl = offset_ttl
        self.wall = wall
        self._offset = 0.0
        self._measured_at: float | None = None
        self._lock = asyncio.Lock()

    async def clock_offset(self) -> float:
        """Database clock minus this process's wall clock, in seconds (0 without `database_clock`)."""
        if not self.database_clock:
            return 0.0
        fresh = self._measured_at is not None and self.wall() - self._measured_at < self.offset_ttl
        if fresh:
            return self._offset
        async with self._lock:
            before = self.wall()
            async with self.db.read() as conn:
                epoch = sa.cast(sa.func.extract("epoch", sa.func.clock_timestamp()), sa.Float)
                server = (await conn.execute(sa.select(epoch))).scalar_one()
            after = self.wall()
            self._offset = server - (before + after) / 2
            self._measured_at = after
        return self._offset

    @staticmethod
    def _moved(job: NewJob, offset: float) -> NewJob:
        return job if job.run_at is None else dataclasses.replace(job, run_at=job.run_at + offset)

    async def enqueue(self, job: NewJob, *, now: float) -> Job:
        offset = await self.clock_offset()
        return await super().enqueue(self._moved(job, offset), now=now + offset)

    async def cancel(self, job_id: str, *, now: float) -> Job | None:
        return await super().cancel(job_id, now=now + await self.clock_offset())

    async def claim(self, worker_id: str, *, now: float, lease_seconds: float) -> Job | None:
        return await super().claim(worker_id, now=now + await self.clock_offset(), lease_seconds=lease_seconds)

    async def extend(self, job_id: str, worker_id: str, *, lease_until: float) -> bool:
        return await super().extend(job_id, worker_id, lease_until=lease_until + await self.clock_offset())

    async def settle(self, job_id: str, worker_id: str, decision: Decision, *, now: float) -> bool:
        offset = await self.clock_offset()
        if offset:
            decision = dataclasses.replace(
                decision,
                run_at=None if decision.run_at is None else decision.run_at + offset,
                children=[self._moved(child, offset) for child in decision.children],
            )
        return await super().settle(job_id, worker_id, decision, now=now + offset)

    async def next_run_at(self) -> float | None:
        """On the caller's clock, so an idle worker naps for the right time."""
        due = await super().next_run_at()
        return None if due is None else due - await self.clock_offset()
