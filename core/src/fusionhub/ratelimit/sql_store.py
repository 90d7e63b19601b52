"""Token buckets in the database, so every worker process spends from one budget per store.

`acquire` is one transaction: create missing buckets full, lock them (PostgreSQL; SQLite's
BEGIN IMMEDIATE already serializes writers), then a single UPDATE that refills, checks and
spends every charged bucket only if all of them hold enough. The UPDATE's row count says
whether it spent; if not, the longest wait is computed from the same refilled levels.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.clock import Clock
from fusionhub.ratelimit import BucketShape, Charge, TokenBucket
from fusionhub.storage.database import Database
from fusionhub.storage.schema import rate_buckets as rb

EPSILON = 1e-9
# "Now" in the statements built once: the caller's time, bound per execution (`p_now`).
NOW: sa.BindParameter[float] = sa.bindparam("p_now", type_=sa.Float)


def _refilled(now: float | sa.ColumnElement[float], t: sa.FromClause = rb) -> sa.ColumnElement[float]:
    """min(capacity, tokens + max(0, now - last_refill) * refill_rate), portable SQL."""
    gained = sa.case((t.c.last_refill < now, (now - t.c.last_refill) * t.c.refill_rate), else_=0.0)
    level = t.c.tokens + gained
    return sa.case((level > t.c.capacity, t.c.capacity), else_=level)


def _last_refill(now: float | sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    # A process whose clock lags must not move a bucket's time backwards.
    return sa.case((rb.c.last_refill < now, now), else_=rb.c.last_refill)


# SQLite's plain connection (`Database.run_direct`) runs the same statements, compiled once.
_SQLITE = sqlite_dialect.dialect(paramstyle="named")


@dataclasses.dataclass(frozen=True, slots=True)
class _Sql:
    """A statement compiled for SQLite's own driver, with its literal parameters' values."""

    text: str
    defaults: dict[str, Any]

    @classmethod
    def of(cls, statement: sa.ClauseElement) -> _Sql:
        compiled = statement.compile(dialect=_SQLITE)
        return cls(compiled.string, dict(compiled.params))

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self.defaults, **values}


@dataclasses.dataclass(frozen=True, slots=True)
class _Acquire:
    """An acquire's statements for n charged buckets: keys `k0…`, costs `c0…` bound per call.

    Built once per n (per store): building SQLAlchemy constructs per request cost about as much
    as running them; a built statement also keeps its cache key.
    """

    ensure: sa.Insert  # executemany: p_key, p_capacity, p_rate
    lock: sa.Select[Any]  # PostgreSQL: lock the rows, read their levels
    take: sa.Update  # PostgreSQL, under those locks: spend
    spend: sa.Update  # SQLite (one writer): check and spend in one statement
    levels: sa.Select[Any]  # key, level now, refill rate
    direct: tuple[_Sql, _Sql, _Sql] | None  # SQLite: ensure, spend and levels for the plain connection

    @classmethod
    def build(cls, n: int, now: sa.ColumnElement[float], dialect: str) -> _Acquire:
        keys = [sa.bindparam(f"k{i}", type_=rb.c.key.type) for i in range(n)]
        costs = [sa.bindparam(f"c{i}", type_=sa.Float) for i in range(n)]

        def cost_of(t: sa.FromClause) -> sa.ColumnElement[float]:
            return sa.case(*[(t.c.key == k, c) for k, c in zip(keys, costs, strict=True)], else_=0.0)

        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        capacity = sa.bindparam("p_capacity", type_=sa.Float)
        ensure = (
            insert(rb)
            .values(
                key=sa.bindparam("p_key", type_=rb.c.key.type),
                capacity=capacity,
                refill_rate=sa.bindparam("p_rate", type_=sa.Float),
                tokens=capacity,
                last_refill=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        levels = sa.select(rb.c.key, _refilled(now), rb.c.refill_rate).where(rb.c.key.in_(keys))
        # In key order (the keys are bound sorted): two acquirers never deadlock. A row another
        # transaction changed while this waited is read as that one left it.
        lock = levels.order_by(rb.c.key).with_for_update()
        take = (
            rb.update()
            .where(rb.c.key.in_(keys))
            .values(tokens=_refilled(now) - cost_of(rb), last_refill=_last_refill(now))
        )
        # Over an alias, uncorrelated: "some charged bucket is short", not "this row is short".
        other = rb.alias("other")
        short = sa.select(other.c.key).where(other.c.key.in_(keys), _refilled(now, other) + EPSILON < cost_of(other))
        spend = (
            rb.update()
            .where(rb.c.key.in_(keys), ~short.exists())
            .values(tokens=_refilled(now) - cost_of(rb), last_refill=_last_refill(now))
        )
        direct = (_Sql.of(ensure), _Sql.of(spend), _Sql.of(levels)) if dialect == "sqlite" else None
        return cls(ensure, lock, take, spend, levels, direct)


def _new_rows(shapes: Sequence[BucketShape]) -> list[dict[str, Any]]:
    """`ensure`'s parameters: each bucket once, full."""
    return [
        {"p_key": s.key, "p_capacity": s.capacity, "p_rate": s.refill_rate} for s in {s.key: s for s in shapes}.values()
    ]


def charged_costs(charges: Sequence[Charge]) -> dict[str, float]:
    """What each charged bucket is charged in all, by key; a total over its capacity is refused."""
    costs: dict[str, float] = {}
    for charge in charges:
        costs[charge.shape.key] = costs.get(charge.shape.key, 0.0) + charge.cost
    for charge in charges:
        if costs[charge.shape.key] > charge.shape.capacity + EPSILON:
            raise ValueError(f"cost {costs[charge.shape.key]} exceeds the bucket's capacity {charge.shape.capacity}")
    return costs


def lowest_levels(levels: Sequence[tuple[BucketShape, float]]) -> dict[str, tuple[BucketShape, float]]:
    """Each bucket, by key, with the level it is to be lowered to (the lowest, if named twice)."""
    wanted: dict[str, tuple[BucketShape, float]] = {}
    for shape, at_most in levels:
        known = wanted.get(shape.key)
        if known is None or at_most < known[1]:
            wanted[shape.key] = (shape, at_most)
    return wanted


def longest_wait(rows: Sequence[Any], costs: dict[str, float]) -> float:
    """From (key, level now, refill rate) rows: seconds until every bucket holds its cost."""
    waits = [(costs[key] - tokens) / rate for key, tokens, rate, *_ in rows if tokens + EPSILON < costs[key]]
    return max(waits, default=0.0)


class SqlBucketStore:
    """The BucketStore protocol over the `rate_buckets` table (SQLite and PostgreSQL).

    With a `clock`, the time is read again once the transaction holds the write lock: a caller
    that waited for the lock must not spend at the earlier instant it asked at, or its request
    would reach the platform later than the bucket believes, closer to the next one.
    """

    # The SQL for "now" in the statements built once; a subclass may use the database's clock.
    now_sql: sa.ColumnElement[float] = NOW

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock
        self._acquires: dict[int, _Acquire] = {}
        self._snapshot: sa.Select[Any] | None = None
        self._snapshot_direct: _Sql | None = None
        self._lower: sa.Update | None = None
        self._lower_direct: _Sql | None = None

    def _now_params(self, now: float) -> dict[str, float]:
        return {"p_now": now} if self.now_sql is NOW else {}

    async def _ensure(self, conn: AsyncConnection, shapes: Sequence[BucketShape], now: float) -> None:
        rows = [row | self._now_params(now) for row in _new_rows(shapes)]
        await conn.execute(self._statements(1).ensure, rows)

    async def _lock(self, conn: AsyncConnection, keys: list[str], now: float) -> None:
        if conn.dialect.name == "postgresql":
            params = {f"k{i}": k for i, k in enumerate(keys)} | self._now_params(now)
            await conn.execute(self._statements(len(keys)).lock, params)

    def _statements(self, n: int) -> _Acquire:
        built = self._acquires.get(n)
        if built is None:
            built = self._acquires[n] = _Acquire.build(n, self.now_sql, self.db.dialect)
        return built

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        if not charges:
            return 0.0
        costs = charged_costs(charges)
        keys = sorted(costs)
        statements = self._statements(len(keys))
        params: dict[str, Any] = {}
        for i, key in enumerate(keys):
            params[f"k{i}"] = key
            params[f"c{i}"] = costs[key]
        rows: Sequence[Any] = ()  # (key, level now, refill rate) of each charged bucket
        direct = statements.direct
        if direct is not None and self.db.direct is not None:
            shapes = _new_rows([c.shape for c in charges])

            def spend(conn: sqlite3.Connection) -> Sequence[Any]:
                return self._spend_direct(conn, direct, params, shapes, now)

            # A look first, without the write lock: a refusal (a store's next token not there yet,
            # about every other attempt of a busy store) takes no turn from the other writers.
            levels = direct[2]
            looked = {**params, "p_now": now if self.clock is None else max(now, self.clock.now())}
            seen = await self.db.run_direct(
                lambda conn: conn.execute(levels.text, levels.params(looked)).fetchall(), write=False, quick=True
            )
            if len(seen) == len(keys) and any(tokens + EPSILON < costs[key] for key, tokens, _ in seen):
                rows = seen
            else:
                rows = await self.db.run_direct(spend, write=True, quick=True)
                if not rows:
                    return 0.0
        else:
            async with self.db.write() as conn:
                if self.clock is not None:
                    now = max(now, self.clock.now())
                params.update(self._now_params(now))
                if conn.dialect.name == "postgresql":
                    rows = await self._locked_levels(conn, statements, params, charges, now)
                    if all(tokens + EPSILON >= costs[key] for key, tokens, _ in rows):
                        await conn.execute(statements.take, params)
                        return 0.0
                else:
                    for _ in range(2):
                        spent = await conn.execute(statements.spend, params)
                        if spent.rowcount == len(keys):
                            return 0.0
                        rows = (await conn.execute(statements.levels, params)).all()
                        if len(rows) == len(keys):
                            break
                        await self._ensure(conn, [c.shape for c in charges], now)  # first use: create them full
        return longest_wait(rows, costs)

    def _spend_direct(
        self,
        conn: sqlite3.Connection,
        direct: tuple[_Sql, _Sql, _Sql],
        params: dict[str, Any],
        shapes: list[dict[str, Any]],
        now: float,
    ) -> Sequence[Any]:
        """SQLite, in the write transaction on the plain connection: spend (nothing left to read:
        empty) or the charged buckets' levels. Runs in that connection's thread."""
        ensure, spend, levels = direct
        if self.clock is not None:  # the write lock is held now: the request goes out from here on
            now = max(now, self.clock.now())
        values = {**params, "p_now": now}
        n = len(shapes)
        for _ in range(2):
            if conn.execute(spend.text, spend.params(values)).rowcount == n:
                return ()
            rows = conn.execute(levels.text, levels.params(values)).fetchall()
            if len(rows) == n:
                return rows
            conn.executemany(ensure.text, [ensure.params({**shape, "p_now": now}) for shape in shapes])
        return rows

    async def _locked_levels(
        self, conn: AsyncConnection, statements: _Acquire, params: dict[str, Any], charges: Sequence[Charge], now: float
    ) -> Sequence[Any]:
        """PostgreSQL: every charged bucket locked (created full on first use) and its level now.

        All are locked before any is spent: an UPDATE that waited on one row's lock would re-check
        that row but not the others it had read.
        """
        rows = list(await conn.execute(statements.lock, params))
        if len(rows) < len({c.shape.key for c in charges}):
            await self._ensure(conn, [c.shape for c in charges], now)
            rows = list(await conn.execute(statements.lock, params))
        return rows

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
            await self._lock(conn, [shape.key], now)
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

    def _lower_statement(self) -> sa.Update:
        """One bucket (`p_key`) down to `p_at_most` if its level now is higher: built once per store."""
        if self._lower is None:
            at_most = sa.bindparam("p_at_most", type_=sa.Float)
            self._lower = (
                rb.update()
                .where(rb.c.key == sa.bindparam("p_key", type_=rb.c.key.type), _refilled(self.now_sql) > at_most)
                .values(tokens=at_most, last_refill=_last_refill(self.now_sql))
            )
        return self._lower

    async def lower(self, levels: Sequence[tuple[BucketShape, float]], now: float) -> int:
        wanted = lowest_levels(levels)
        if not wanted:
            return 0
        if self.db.direct is None:
            async with self.db.write() as conn:
                await self._ensure(conn, [shape for shape, _ in wanted.values()], now)
                lowered = 0
                for key, (_, at_most) in wanted.items():
                    params = {"p_key": key, "p_at_most": at_most, **self._now_params(now)}
                    lowered += (await conn.execute(self._lower_statement(), params)).rowcount
                return lowered
        # SQLite: a look first, without the write lock; the usual report lowers nothing.
        keys = sorted(wanted)
        direct = self._statements(len(keys)).direct
        assert direct is not None
        ensure, _, look = direct
        values: dict[str, Any] = {f"k{i}": key for i, key in enumerate(keys)}
        values["p_now"] = now if self.clock is None else max(now, self.clock.now())
        seen = await self.db.run_direct(
            lambda conn: conn.execute(look.text, look.params(values)).fetchall(), write=False, quick=True
        )
        levels_now = {key: level for key, level, _ in seen}
        # Higher than reported, or not there yet (created full, then lowered).
        todo = [key for key in keys if levels_now.get(key, float("inf")) > wanted[key][1]]
        if not todo:
            return 0
        if self._lower_direct is None:
            self._lower_direct = _Sql.of(self._lower_statement())
        lower = self._lower_direct
        missing = _new_rows([wanted[key][0] for key in todo if key not in levels_now])

        def write(conn: sqlite3.Connection) -> int:
            if missing:
                conn.executemany(ensure.text, [ensure.params({**row, "p_now": values["p_now"]}) for row in missing])
            changed = 0
            for key in todo:  # checked again under the write lock, in the statement
                params = lower.params({"p_key": key, "p_at_most": wanted[key][1], "p_now": values["p_now"]})
                changed += conn.execute(lower.text, params).rowcount
            return changed

        return await self.db.run_direct(write, write=True, quick=True)

    def _snapshot_statement(self) -> sa.Select[Any]:
        """capacity, refill rate, level now, and when (`p_key`, `p_now`): built once per store."""
        if self._snapshot is None:
            self._snapshot = sa.select(
                rb.c.capacity, rb.c.refill_rate, _refilled(self.now_sql), _last_refill(self.now_sql)
            ).where(rb.c.key == sa.bindparam("p_key", type_=rb.c.key.type))
        return self._snapshot

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        params = {"p_key": shape.key, **self._now_params(now)}
        if self.db.direct is not None:
            if self._snapshot_direct is None:
                self._snapshot_direct = _Sql.of(self._snapshot_statement())
            sql = self._snapshot_direct
            row = await self.db.run_direct(
                lambda conn: conn.execute(sql.text, sql.params(params)).fetchone(), write=False, quick=True
            )
        else:
            async with self.db.one_statement() as conn:
                row = (await conn.execute(self._snapshot_statement(), params)).first()
        if row is None:
            return TokenBucket.full(shape.capacity, shape.refill_rate, now)
        return TokenBucket(row[0], row[1], row[2], row[3])

    @staticmethod
    async def _read(conn: AsyncConnection, key: str) -> TokenBucket:
        row = (
            await conn.execute(
                sa.select(rb.c.capacity, rb.c.refill_rate, rb.c.tokens, rb.c.last_refill).where(rb.c.key == key)
            )
        ).one()
        return TokenBucket(row[0], row[1], row[2], row[3])
