"""Token buckets in the database, so every worker process spends from one budget per store.

`acquire` is one transaction: create missing buckets full, lock them (PostgreSQL; SQLite's
BEGIN IMMEDIATE already serializes writers), then a single UPDATE that refills, checks and
spends every charged bucket only if all of them hold enough. The UPDATE's row count says
whether it spent; if not, the longest wait is computed from the same refilled levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.clock import Clock
from fusionhub.ratelimit import BucketShape, Charge, TokenBucket
from fusionhub.storage.database import Database
from fusionhub.storage.schema import rate_buckets as rb

EPSILON = 1e-9


def _refilled(now: float, t: sa.FromClause = rb) -> sa.ColumnElement[float]:
    """min(capacity, tokens + max(0, now - last_refill) * refill_rate), portable SQL."""
    gained = sa.case((t.c.last_refill < now, (now - t.c.last_refill) * t.c.refill_rate), else_=0.0)
    level = t.c.tokens + gained
    return sa.case((level > t.c.capacity, t.c.capacity), else_=level)


def _last_refill(now: float) -> sa.ColumnElement[float]:
    # A process whose clock lags must not move a bucket's time backwards.
    return sa.case((rb.c.last_refill < now, now), else_=rb.c.last_refill)


class SqlBucketStore:
    """The BucketStore protocol over the `rate_buckets` table (SQLite and PostgreSQL).

    With a `clock`, the time is read again once the transaction holds the write lock: a caller
    that waited for the lock must not spend at the earlier instant it asked at, or its request
    would reach the platform later than the bucket believes, closer to the next one.
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock

    async def _ensure(self, conn: AsyncConnection, shapes: Sequence[BucketShape], now: float) -> None:
        rows = [
            {
                "key": s.key,
                "capacity": s.capacity,
                "refill_rate": s.refill_rate,
                "tokens": s.capacity,
                "last_refill": now,
            }
            for s in {s.key: s for s in shapes}.values()
        ]
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        await conn.execute(insert(rb).values(rows).on_conflict_do_nothing(index_elements=["key"]))

    async def _lock(self, conn: AsyncConnection, keys: list[str]) -> None:
        if conn.dialect.name == "postgresql":  # in key order: two acquirers never deadlock
            await conn.execute(sa.select(rb.c.key).where(rb.c.key.in_(keys)).order_by(rb.c.key).with_for_update())

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        if not charges:
            return 0.0
        costs: dict[str, float] = {}
        for charge in charges:
            costs[charge.shape.key] = costs.get(charge.shape.key, 0.0) + charge.cost
        for charge in charges:
            if costs[charge.shape.key] > charge.shape.capacity + EPSILON:
                raise ValueError(f"cost {charge.cost} exceeds the bucket's capacity {charge.shape.capacity}")
        keys = sorted(costs)
        cost = sa.case(costs, value=rb.c.key, else_=0.0)
        async with self.db.write() as conn:
            if self.clock is not None:
                now = max(now, self.clock.now())
            level = _refilled(now)
            if conn.dialect.name == "postgresql":
                # The rows must exist before they are locked: an UPDATE that waits on another's row
                # lock re-checks its row but not the EXISTS over the others, so lock first, always.
                await self._ensure(conn, [c.shape for c in charges], now)
            for _ in range(2):
                await self._lock(conn, keys)
                # Over an alias, uncorrelated: "some charged bucket is short", not "this row is short".
                other = rb.alias("other")
                short = (
                    sa.select(other.c.key)
                    .where(other.c.key.in_(keys), _refilled(now, other) + EPSILON < sa.case(costs, value=other.c.key))
                    .exists()
                )
                spent = await conn.execute(
                    rb.update()
                    .where(rb.c.key.in_(keys), ~short)
                    .values(tokens=level - cost, last_refill=_last_refill(now))
                )
                if spent.rowcount == len(keys):
                    return 0.0
                rows = (
                    await conn.execute(sa.select(rb.c.key, level, rb.c.refill_rate).where(rb.c.key.in_(keys)))
                ).all()
                if len(rows) == len(keys):
                    break
                await self._ensure(conn, [c.shape for c in charges], now)  # first use: create them full
        waits = [(costs[key] - tokens) / rate for key, tokens, rate in rows if tokens + EPSILON < costs[key]]
        return max(waits, default=0.0)

    async def adjust(
        self,
        shape: BucketShape,
        now: float,
        *,
        tokens: float | None = None,
        capacity: float | None = None,
        refill_rate: float | None = None,
        refund: float = 0.0,
        at_most: float | None = None,
    ) -> TokenBucket:
        async with self.db.write() as conn:
            await self._ensure(conn, [shape], now)
            await self._lock(conn, [shape.key])
            values: dict[str, Any] = {"last_refill": _last_refill(now)}
            cap = rb.c.capacity if capacity is None else sa.literal(capacity)
            if capacity is not None:
                values["capacity"] = capacity
            if refill_rate is not None:
                values["refill_rate"] = refill_rate
            base = _refilled(now) if tokens is None else sa.literal(float(tokens))
            if at_most is not None:
                base = sa.case((base > at_most, sa.literal(float(at_most))), else_=base)
            new = base + refund
            values["tokens"] = sa.case((new > cap, cap), else_=new)
            await conn.execute(rb.update().where(rb.c.key == shape.key).values(values))
            return await self._read(conn, shape.key)

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(rb.c.capacity, rb.c.refill_rate, _refilled(now), rb.c.last_refill).where(
                        rb.c.key == shape.key
                    )
                )
            ).first()
        if row is None:
            return TokenBucket.full(shape.capacity, shape.refill_rate, now)
        return TokenBucket(row[0], row[1], row[2], max(row[3], now))

    @staticmethod
    async def _read(conn: AsyncConnection, key: str) -> TokenBucket:
        row = (
            await conn.execute(
                sa.select(rb.c.capacity, rb.c.refill_rate, rb.c.tokens, rb.c.last_refill).where(rb.c.key == key)
            )
        ).one()
        return TokenBucket(row[0], row[1], row[2], row[3])
