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
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from fusionhub.ratelimit import BucketShape, BucketStore, Charge, TokenBucket
from fusionhub.ratelimit.sql_store import SqlBucketStore, charged_costs, longest_wait
from fusionhub.storage.database import Database

if TYPE_CHECKING:
    from fusionhub.storage.pg_lane import PgLane  # psycopg: only with the postgres extra

# Transaction start on the server: one value for the whole acquire, the same for every worker.
# A transaction that waited on a bucket's row lock sees an older now() than the writer before
# it; `_last_refill` never moves a bucket's time backwards, so that only under-refills.
DB_NOW: sa.ColumnElement[float] = sa.cast(sa.func.extract("epoch", sa.func.now()), sa.Float)


# Through `Database.lane` (psycopg's own placeholders): every PostgreSQL database has one.
_SPEND = (
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
        costs = charged_costs(charges)
        shapes = {c.shape.key: c.shape for c in charges}
        keys = sorted(costs)
        params = {
            "keys": keys,
            "costs": [costs[k] for k in keys],
            "capacities": [shapes[k].capacity for k in keys],
            "rates": [shapes[k].refill_rate for k in keys],
        }
        rows = await self._lane().fetchall(_SPEND, params)  # (key, level, rate, spent)
        if rows and rows[0][3]:
            return 0.0
        wait = longest_wait(rows, costs)
        if not wait:  # refused with every bucket full enough: only if a bucket vanished in between
            raise RuntimeError(f"fusionhub_bucket_spend_v1 refused {keys} without a short bucket: {rows}")
        return wait

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        if self._snapshot_plain is None:  # the parent's statement, compiled once for psycopg itself
            compiled = self._snapshot_statement().compile(dialect=self.db.engine.dialect)
            self._snapshot_plain = (compiled.string, dict(compiled.params))
        text, defaults = self._snapshot_plain
        rows = await self._lane().fetchall(text, {**defaults, "p_key": shape.key})
        if not rows:
            return TokenBucket.full(shape.capacity, shape.refill_rate, now)
        capacity, rate, tokens, last_refill = rows[0]
        return TokenBucket(capacity, rate, tokens, last_refill)

    def _lane(self) -> PgLane:
        assert self.db.lane is not None, "PgBucketStore needs a PostgreSQL database"
        return self.db.lane

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
