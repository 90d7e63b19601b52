"""Rate buckets on PostgreSQL, timed by the database's clock.

Workers on several machines spend from one `rate_buckets` row per bucket. If each used its
own clock, a machine running ahead would refill buckets early (and one lagging would freeze
them), so the shared budget would drift with the skew. Here every refill-check-spend reads
`now()` inside the statement: one clock for every worker. The statements are the SQL
backend's (`SqlBucketStore`), given a SQL expression for "now" instead of the caller's float.
Only durations leave this store (the wait before a retry), and durations do not depend on
whose clock measured them.

An acquire is one call of `fusionhub_bucket_spend_v1` (migration 0010) in autocommit: one round
trip, and a refusal writes nothing. It and a level read go through the database's plain psycopg
connections (`Database.lane`), without SQLAlchemy's per-statement work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa

from fusionhub.ratelimit import BucketShape, BucketStore, Charge, TokenBucket
from fusionhub.ratelimit.sql_store import EPSILON, SqlBucketStore
from fusionhub.storage.database import Database

# Transaction start on the server: one value for the whole acquire, the same for every worker.
# A transaction that waited on a bucket's row lock sees an older now() than the writer before
# it; `_last_refill` never moves a bucket's time backwards, so that only under-refills.
DB_NOW: sa.ColumnElement[float] = sa.cast(sa.func.extract("epoch", sa.func.now()), sa.Float)


_SPEND = sa.text(
    "SELECT * FROM fusionhub_bucket_spend_v1(CAST(:keys AS text[]), CAST(:costs AS float8[]), "
    "CAST(:capacities AS float8[]), CAST(:rates AS float8[]))"
)


# The same call through `Database.lane` (psycopg's own placeholders).
_SPEND_PLAIN = (
    "SELECT * FROM fusionhub_bucket_spend_v1(%(keys)s::text[], %(costs)s::float8[], "
    "%(capacities)s::float8[], %(rates)s::float8[])"
)


def _db_now() -> float:
    # The parent's statements only combine `now` with columns, so an expression fits where
    # its signature says float.
    return cast(float, DB_NOW)


class PgBucketStore(SqlBucketStore):
    """`SqlBucketStore` on PostgreSQL with the database clock; the caller's `now` is ignored."""

    now_sql = DB_NOW

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._snapshot_plain: tuple[str, dict[str, Any]] | None = None

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        if not charges:
            return 0.0
        costs: dict[str, float] = {}
        shapes: dict[str, BucketShape] = {}
        for charge in charges:
            costs[charge.shape.key] = costs.get(charge.shape.key, 0.0) + charge.cost
            shapes.setdefault(charge.shape.key, charge.shape)
        keys = sorted(costs)
        for key in keys:
            if costs[key] > shapes[key].capacity + EPSILON:
                raise ValueError(f"cost {costs[key]} exceeds the bucket's capacity {shapes[key].capacity}")
        params = {
            "keys": keys,
            "costs": [costs[k] for k in keys],
            "capacities": [shapes[k].capacity for k in keys],
            "rates": [shapes[k].refill_rate for k in keys],
        }
        if self.db.lane is not None:
            rows: Sequence[Any] = await self.db.lane.fetchall(_SPEND_PLAIN, params)
        else:
            async with self.db.one_statement() as conn:
                rows = (await conn.execute(_SPEND, params)).all()
        if rows and rows[0][3]:
            return 0.0
        waits: list[float] = [
            (costs[key] - level) / rate for key, level, rate, _ in rows if level + EPSILON < costs[key]
        ]
        if not waits:  # refused with every bucket full enough: only if a bucket vanished in between
            raise RuntimeError(f"fusionhub_bucket_spend_v1 refused {keys} without a short bucket: {rows}")
        return max(waits)

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        if self.db.lane is None:
            return await super().snapshot(shape, now)
        if self._snapshot_plain is None:  # the parent's statement, compiled once for psycopg itself
            compiled = self._snapshot_statement().compile(dialect=self.db.engine.dialect)
            self._snapshot_plain = (compiled.string, dict(compiled.params))
        text, defaults = self._snapshot_plain
        rows = await self.db.lane.fetchall(text, {**defaults, "p_key": shape.key})
        if not rows:
            return TokenBucket.full(shape.capacity, shape.refill_rate, now)
        capacity, rate, tokens, last_refill = rows[0]
        return TokenBucket(capacity, rate, tokens, last_refill)

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
        return await super().adjust(
            shape, _db_now(), tokens=tokens, capacity=capacity, refill_rate=refill_rate, refund=refund, at_most=at_most
        )


def bucket_store_for(db: Database, *, database_clock: bool = True) -> BucketStore:
    """The database clock on PostgreSQL (callers on wall time); the callers' clock elsewhere or when virtual."""
    return PgBucketStore(db) if db.dialect == "postgresql" and database_clock else SqlBucketStore(db)
