"""Rate buckets on PostgreSQL, timed by the database's clock.

Workers on several machines spend from one `rate_buckets` row per bucket. If each used its
own clock, a machine running ahead would refill buckets early (and one lagging would freeze
them), so the shared budget would drift with the skew. Here every refill-check-spend reads
`now()` inside the statement: one clock for every worker. The statements are the SQL
backend's (`SqlBucketStore`), given a SQL expression for "now" instead of the caller's float.
Only durations leave this store (the wait before a retry), and durations do not depend on
whose clock measured them.

An acquire is one call of `fusionhub_bucket_spend_v2` (migrations 0010, 0012) in autocommit: one
round trip, and a refusal writes nothing. A request a little early may take its tokens ahead
(`acquire_ahead`: `Limiter` then sleeps once instead of asking twice). A report's levels are one
statement too (`lower`). All go through the database's plain psycopg connections
(`Database.lane`), without SQLAlchemy's per-statement work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from fusionhub.ratelimit import BucketShape, BucketStore, Charge, TokenBucket
from fusionhub.ratelimit.sql_store import SqlBucketStore, charged_costs, longest_wait, lowest_levels
from fusionhub.storage.database import Database

if TYPE_CHECKING:
    from fusionhub.storage.pg_lane import PgLane  # psycopg: only with the postgres extra

# Transaction start on the server: one value for the whole acquire, the same for every worker.
# A transaction that waited on a bucket's row lock sees an older now() than the writer before
# it; `_last_refill` never moves a bucket's time backwards, so that only under-refills.
DB_NOW: sa.ColumnElement[float] = sa.cast(sa.func.extract("epoch", sa.func.now()), sa.Float)


# Through `Database.lane` (psycopg's own placeholders): every PostgreSQL database has one.
_SPEND = (
    "SELECT * FROM fusionhub_bucket_spend_v2(%(keys)s::text[], %(costs)s::float8[], "
    "%(capacities)s::float8[], %(rates)s::float8[], %(within)s::float8)"
)


# Lowered only where the level now is higher: a report that changes nothing locks and writes
# nothing (an UPDATE locks only the rows its WHERE keeps). A bucket not there yet is created at
# the reported level (full, then lowered). Rows: the buckets lowered.
_LOWER = """
WITH v AS (
    SELECT * FROM unnest(%(keys)s::text[], %(levels)s::float8[], %(capacities)s::float8[], %(rates)s::float8[])
        AS v(key, at_most, capacity, rate)
), made AS (
    INSERT INTO rate_buckets (key, capacity, refill_rate, tokens, last_refill)
    SELECT v.key, v.capacity, v.rate, least(v.capacity, v.at_most), extract(epoch FROM now())::float8 FROM v
    WHERE NOT EXISTS (SELECT 1 FROM rate_buckets AS b WHERE b.key = v.key)
    ON CONFLICT (key) DO NOTHING
    RETURNING key, tokens < capacity AS lowered
), lowered AS (
    UPDATE rate_buckets AS b
    SET tokens = v.at_most, last_refill = greatest(b.last_refill, extract(epoch FROM now())::float8)
    FROM v
    WHERE b.key = v.key
      AND least(b.capacity, b.tokens + CASE WHEN b.last_refill < extract(epoch FROM now())::float8
                THEN (extract(epoch FROM now())::float8 - b.last_refill) * b.refill_rate ELSE 0 END) > v.at_most
    RETURNING b.key
)
SELECT key FROM made WHERE lowered UNION ALL SELECT key FROM lowered
"""


@dataclass(frozen=True, slots=True)
class _Ceiling:
    """The most a bucket can hold now, from what this process's last spend read of it: the level
    after the spend, refilled since at its rate (not capped: a report may have raised the
    capacity). Only a raise (a refund, a new size or rate) could put the bucket above it, and
    those are rare and come from `adjust`, which forgets the bucket in this process; one in
    another process is seen at this process's next spend."""

    level: float
    rate: float
    asked: float  # time.monotonic() before the spend was sent: the refill since is overcounted, never under

    def now(self) -> float:
        return self.level + self.rate * (time.monotonic() - self.asked)


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
        # What each bucket can hold at most, by key (`_Ceiling`): a report at or above it cannot
        # lower the bucket, and costs no statement (`lower`). One entry per bucket spent from.
        self._ceilings: dict[str, _Ceiling] = {}

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        wait, spent = await self.acquire_ahead(charges, now, 0.0)
        return 0.0 if spent else wait

    async def acquire_ahead(self, charges: Sequence[Charge], now: float, within: float) -> tuple[float, bool]:
        """Spend every charge if each bucket holds it now or within `within` seconds (the level
        goes below zero: the caller waits the returned seconds before it sends), else spend none:
        (the wait, whether spent). One call of `fusionhub_bucket_spend_v2`."""
        if not charges:
            return 0.0, True
        costs = charged_costs(charges)
        shapes = {c.shape.key: c.shape for c in charges}
        keys = sorted(costs)
        params = {
            "keys": keys,
            "costs": [float(costs[k]) for k in keys],
            "capacities": [float(shapes[k].capacity) for k in keys],  # psycopg dumps no list of ints and floats
            "rates": [float(shapes[k].refill_rate) for k in keys],
            "within": float(within),
        }
        asked = time.monotonic()
        rows = await self._lane().fetchall(_SPEND, params)  # (key, level before, rate, spent)
        spent = bool(rows and rows[0][3])
        for key, level, rate, _ in rows:
            self._ceilings[key] = _Ceiling(level - costs[key] if spent else level, rate, asked)
        wait = longest_wait(rows, costs)
        if spent:
            return wait, True
        if not wait:  # refused with every bucket full enough: only if a bucket vanished in between
            raise RuntimeError(f"fusionhub_bucket_spend_v2 refused {keys} without a short bucket: {rows}")
        return wait, False

    async def lower(self, levels: Sequence[tuple[BucketShape, float]], now: float) -> int:
        """Every bucket in one statement on the plain connection, in autocommit; none for a bucket
        whose ceiling (what this process last saw of it, refilled since) is at or below its report:
        the usual response, whose report is above what is left after our own spends."""
        wanted = {
            key: (shape, at_most)
            for key, (shape, at_most) in lowest_levels(levels).items()
            if (ceiling := self._ceilings.get(key)) is None or ceiling.now() > at_most
        }
        if not wanted:
            return 0
        keys = sorted(wanted)  # rows locked in key order, as a spend locks them
        shapes = [wanted[k][0] for k in keys]
        params = {
            "keys": keys,
            "levels": [float(wanted[k][1]) for k in keys],
            "capacities": [float(s.capacity) for s in shapes],  # psycopg dumps no list of ints and floats
            "rates": [float(s.refill_rate) for s in shapes],
        }
        asked = time.monotonic()
        lowered = await self._lane().fetchall(_LOWER, params)
        for (key,) in lowered:  # at the reported level now: the same rate refills it from there
            ceiling = self._ceilings.get(key)
            if ceiling is not None:
                self._ceilings[key] = _Ceiling(wanted[key][1], ceiling.rate, asked)
        return len(lowered)

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
        self._ceilings.pop(shape.key, None)  # it may be raised: no ceiling until the next spend reads it
        return await super().adjust(
            shape, _db_now(), tokens=tokens, capacity=capacity, refill_rate=refill_rate, refund=refund, at_most=at_most
        )


def bucket_store_for(db: Database, *, database_clock: bool = True) -> BucketStore:
    """The database clock on PostgreSQL (callers on wall time); the callers' clock elsewhere or when virtual."""
    return PgBucketStore(db) if db.dialect == "postgresql" and database_clock else SqlBucketStore(db)
