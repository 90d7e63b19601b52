"""Rate buckets on PostgreSQL share one budget on the database's clock, whatever the workers' clocks say."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

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


async def test_a_report_lowers_every_bucket_in_one_statement_and_locks_none_it_leaves(
    pg: tuple[Database, str],
) -> None:
    """`lower`: one statement for all the reported buckets; one whose level is not higher than the
    report is neither written nor locked (a report that changes nothing waits on no spender), and a
    bucket not there yet is created at the reported level."""
    db, schema = pg
    store = PgBucketStore(db)
    window, day, fresh = (
        BucketShape(f"store:s7:{n}", c, r) for n, c, r in (("w", 10, 0.001), ("d", 100, 0.001), ("f", 5, 1))
    )
    assert await store.acquire([Charge(window, 4.0), Charge(day, 10.0)], 0.0) == 0.0  # 6 and 90 left
    holder = Database(PG_URL, schema=schema)
    try:
        async with holder.write() as conn:
            await conn.execute(sa.text("SELECT 1 FROM rate_buckets WHERE key = 'store:s7:d' FOR UPDATE"))
            # The day's report is above ours: its held row is not waited on. (Another process's
            # store: this one's ceilings would leave the day out before any statement.)
            other = PgBucketStore(db)
            lowered = await asyncio.wait_for(other.lower([(window, 2.0), (day, 95.0), (fresh, 3.0)], 0.0), 5)
    finally:
        await holder.aclose()
    assert lowered == 2
    levels = [(await store.snapshot(s, 0.0)).tokens for s in (window, day, fresh)]
    assert levels == [pytest.approx(2.0, abs=0.01), pytest.approx(90.0, abs=0.01), pytest.approx(3.0, abs=0.01)]
    assert await store.lower([(window, 2.5), (window, 1.0)], 0.0) == 1  # named twice: the lower one
    assert (await store.snapshot(window, 0.0)).tokens == pytest.approx(1.0, abs=0.01)


async def test_a_request_a_little_early_takes_its_tokens_ahead(pg: tuple[Database, str]) -> None:
    """`acquire_ahead`: spent now with the wait until the tokens are due, while within the caller's
    `within`; beyond it nothing is spent. Callers after see the promised tokens and queue behind."""
    db, _ = pg
    store = PgBucketStore(db)
    charges = _charge(1, 10.0, "store:s8:default")  # one token, ten a second
    assert await store.acquire_ahead(charges, 0.0, 0.25) == (0.0, True)  # there: no wait
    first = await store.acquire_ahead(charges, 0.0, 0.25)
    second = await store.acquire_ahead(charges, 0.0, 0.25)
    assert first[1] and second[1] and 0.05 < first[0] <= 0.1 < second[0] <= 0.2
    refused = await store.acquire_ahead(charges, 0.0, 0.25)
    assert not refused[1] and 0.25 < refused[0] <= 0.3
    level = (await store.snapshot(charges[0].shape, 0.0)).tokens
    assert -2.0 < level <= -1.0  # two promised, the refused one took nothing
    assert await store.acquire(charges, 0.0) > 0.0  # plain acquire: nothing ahead


async def test_the_limiter_asks_a_spending_ahead_store_once_per_request(pg: tuple[Database, str]) -> None:
    from fusionhub.clock import SYSTEM_CLOCK
    from fusionhub.contracts import RequestsPerSecond
    from fusionhub.ratelimit import Limiter

    db, _ = pg
    store = PgBucketStore(db)
    calls = 0
    spend = store.acquire_ahead

    async def counted(charges: list[Charge], now: float, within: float) -> tuple[float, bool]:
        nonlocal calls
        calls += 1
        return await spend(charges, now, within)

    store.acquire_ahead = counted  # type: ignore[method-assign]
    limiter = Limiter("store:s9", RequestsPerSecond(requests=10), store, SYSTEM_CLOCK)
    started = time.monotonic()
    waited = [await limiter.acquire(wait=True) for _ in range(4)]  # a bucket of one, 10/s
    assert calls == 4 and waited[0] == 0.0 and all(0.0 < w <= 0.1 + 1e-3 for w in waited[1:])
    assert 0.25 < time.monotonic() - started < 1.0
    assert limiter.stats.acquired == 4 and limiter.stats.waits == 3


async def test_a_report_above_what_this_process_left_costs_no_statement(pg: tuple[Database, str]) -> None:
    """After a spend, the store knows the most each bucket can hold (its level then, refilled since):
    a report at or above that cannot lower it, and is not sent; one below it is."""
    db, _ = pg
    store = PgBucketStore(db)
    assert db.lane is not None
    sent: list[str] = []
    fetchall = db.lane.fetchall

    async def counted(query: str, params: Any) -> list[tuple[Any, ...]]:
        sent.append(query)
        return await fetchall(query, params)

    db.lane.fetchall = counted  # type: ignore[method-assign]
    window = BucketShape("store:s10:w", 10, 0.01)
    assert await store.acquire([Charge(window, 4.0)], 0.0) == 0.0  # 6 left, at most 6.01 a second later
    assert await store.lower([(window, 7.0)], 0.0) == 0 and len(sent) == 1  # only the spend went out
    assert await store.lower([(window, 5.0)], 0.0) == 1 and len(sent) == 2
    assert await store.lower([(window, 5.5)], 0.0) == 0 and len(sent) == 2  # at most 5 now: nothing sent
    await store.adjust(window, 0.0, refund=3.0)  # a raise: the ceiling is forgotten until the next spend
    assert await store.lower([(window, 7.5)], 0.0) == 1 and len(sent) == 3
    assert (await store.snapshot(window, 0.0)).tokens == pytest.approx(7.5, abs=0.01)
