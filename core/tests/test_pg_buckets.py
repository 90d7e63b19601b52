"""Rate buckets on PostgreSQL share one budget on the database's clock, whatever the workers' clocks say."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from runtime_db import PG_URL, _drop, _pg_schema

from fusionhub.errors import RateLimited
from fusionhub.ratelimit import BucketShape, Charge
from fusionhub.ratelimit.pg_store import PgBucketStore, bucket_store_for
from fusionhub.ratelimit.sql_store import SqlBucketStore
from fusionhub.storage import Database

pytestmark = pytest.mark.postgres

HOUR = 3600.0


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, str]]:
    db, schema = await _pg_schema()
    await db.ensure_schema()
    try:
        yield db, schema
    finally:
        await db.aclose()
        await _drop(schema)


def _charge(capacity: float, rate: float, key: str = "store:s1:default") -> list[Charge]:
    return [Charge(BucketShape(key, capacity, rate), 1.0)]


async def test_workers_with_skewed_clocks_spend_one_budget(pg: tuple[Database, str]) -> None:
    db, _ = pg
    store = PgBucketStore(db)
    now = time.time()
    clocks = [now, now + HOUR, now - HOUR, now + 5 * HOUR, now - 0.5 * HOUR]  # five machines
    waits = [await store.acquire(_charge(5, 1.0), at) for at in clocks]
    assert waits == [0.0] * 5
    refused = await store.acquire(_charge(5, 1.0), now + 10 * HOUR)  # a clock far ahead refills nothing
    assert 0.5 < refused <= 1.0 + 1e-3
    level = await store.snapshot(_charge(5, 1.0)[0].shape, now - HOUR)
    assert level.tokens < 1.0 and abs(level.last_refill - time.time()) < 60


async def test_the_callers_clock_would_let_a_fast_machine_overspend(pg: tuple[Database, str]) -> None:
    """Why the database clock: the same sequence on callers' clocks refills for the skew."""
    db, _ = pg
    store = SqlBucketStore(db)
    now = time.time()
    for _ in range(5):
        assert await store.acquire(_charge(5, 1.0, "store:s2:default"), now) == 0.0
    assert await store.acquire(_charge(5, 1.0, "store:s2:default"), now + HOUR) == 0.0  # over budget


async def test_concurrent_acquires_from_many_connections_never_overspend(pg: tuple[Database, str]) -> None:
    db, schema = pg
    workers = [Database(PG_URL, schema=schema) for _ in range(4)]  # separate pools, as separate processes
    stores = [bucket_store_for(w) for w in workers]
    assert all(isinstance(s, PgBucketStore) for s in stores)
    charges = _charge(10, 0.001, "store:s3:default") + _charge(100, 0.001, "store:s3:orders")
    try:
        waits = await asyncio.gather(*(stores[i % 4].acquire(charges, time.time()) for i in range(60)))
    finally:
        for w in workers:
            await w.aclose()
    assert sum(1 for w in waits if w == 0.0) == 10  # all-or-nothing over both buckets
    orders = await PgBucketStore(db).snapshot(BucketShape("store:s3:orders", 100, 0.001), 0)
    assert 89.9 < orders.tokens < 90.2  # refused acquires spent nothing from the other bucket


async def test_adjust_applies_server_feedback_on_the_database_clock(pg: tuple[Database, str]) -> None:
    db, _ = pg
    store = PgBucketStore(db)
    shape = BucketShape("store:s4:cost", 1000, 50)
    await store.acquire([Charge(shape, 900)], 0.0)
    bucket = await store.adjust(shape, time.time() + HOUR, tokens=200, refill_rate=100)
    assert bucket.tokens == 200 and bucket.refill_rate == 100
    assert abs(bucket.last_refill - time.time()) < 60  # the database's time, not the caller's
    assert await store.acquire([Charge(shape, 300)], 0.0) > 0.5  # 200 left, 100/s: about a second


async def test_the_limiter_raises_rate_limited_with_the_database_wait(pg: tuple[Database, str]) -> None:
    from fusionhub.clock import SYSTEM_CLOCK
    from fusionhub.contracts import RequestsPerSecond
    from fusionhub.ratelimit import Limiter

    db, _ = pg
    limiter = Limiter("store:s5", RequestsPerSecond(requests=2), PgBucketStore(db), SYSTEM_CLOCK)
    await limiter.acquire(wait=False)  # a bucket of one request, refilled at 2/s
    with pytest.raises(RateLimited) as refused:
        await limiter.acquire(wait=False)
    assert 0.3 < refused.value.retry_after <= 0.6


async def test_a_refusal_reads_without_locking(pg: tuple[Database, str]) -> None:
    """An empty bucket answers its wait at once, even while another transaction holds its row:
    a refusal (most attempts of a busy store) takes no lock and writes nothing."""
    db, schema = pg
    store = PgBucketStore(db)
    charges = _charge(1, 0.5, "store:s6:default")
    assert await store.acquire(charges, 0.0) == 0.0  # created full, spent: empty now
    holder = Database(PG_URL, schema=schema)
    try:
        async with holder.write() as conn:
            await conn.execute(sa.text("SELECT 1 FROM rate_buckets WHERE key = 'store:s6:default' FOR UPDATE"))
            wait = await asyncio.wait_for(store.acquire(charges, 0.0), 5)
            assert 1.5 < wait <= 2.0  # one token at 0.5/s
    finally:
        await holder.aclose()
