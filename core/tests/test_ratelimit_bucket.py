"""Properties of the token bucket, for random arrival patterns and costs (hypothesis)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusionhub.clock import VirtualClock
from fusionhub.contracts import RequestsPerSecond
from fusionhub.ratelimit import BucketShape, Charge, Limiter, MemoryBucketStore, TokenBucket

EPS = 1e-6

capacities = st.floats(min_value=1.0, max_value=100.0)
rates = st.floats(min_value=0.1, max_value=50.0)
gaps = st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=60)
fractions = st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=60, max_size=60)


def _run(capacity: float, rate: float, gaps: list[float], fractions: list[float]) -> list[tuple[float, float]]:
    """Offer requests at the given arrival gaps; return (time, cost) of those let through."""
    bucket = TokenBucket.full(capacity, rate, now=0.0)
    model = capacity  # an independent account of the tokens, from the definition
    last = now = 0.0
    passed = []
    for gap, fraction in zip(gaps, fractions, strict=False):
        now += gap
        cost = fraction * capacity
        model = min(capacity, model + (now - last) * rate)
        last = now
        wait = bucket.try_spend(cost, now)
        if model >= cost + EPS:
            assert wait == 0.0, "refused a request that fits"
        if wait == 0.0:
            model -= cost
            passed.append((now, cost))
        else:
            # The wait is exact: after it, the request fits, and a moment before, it did not.
            assert abs(wait - (cost - model) / rate) <= 1e-6 * max(1.0, wait)
    return passed


@settings(max_examples=300, deadline=None)
@given(capacities, rates, gaps, fractions)
def test_never_more_than_capacity_plus_rate_times_t(
    capacity: float, rate: float, gaps: list[float], fractions: list[float]
) -> None:
    passed = _run(capacity, rate, gaps, fractions)
    for i, (start, _) in enumerate(passed):
        spent = 0.0
        for end, cost in passed[i:]:
            spent += cost
            assert spent <= capacity + rate * (end - start) + EPS * capacity


@settings(max_examples=200, deadline=None)
@given(capacities, rates, st.floats(min_value=0.01, max_value=1.0), st.floats(min_value=0.0, max_value=10.0))
def test_waiting_the_returned_time_is_enough(capacity: float, rate: float, fraction: float, idle: float) -> None:
    bucket = TokenBucket.full(capacity, rate, now=0.0)
    bucket.try_spend(capacity, 0.0)  # empty it
    cost = fraction * capacity
    wait = bucket.try_spend(cost, idle)
    assert wait >= 0.0
    if wait > 0.0:
        # Not a moment sooner: short of the bucket's rounding tolerance (1e-9 tokens) it is refused.
        sooner = min(wait, max(wait * 1e-3, 2e-9 / rate))
        assert bucket.try_spend(cost, idle + wait - sooner) > 0.0
        assert bucket.try_spend(cost, idle + wait) == 0.0


def test_a_cost_over_capacity_is_an_error_not_a_wait() -> None:
    bucket = TokenBucket.full(10, 1, now=0.0)
    with pytest.raises(ValueError, match="can never fit"):
        bucket.try_spend(11, 0.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 5.0), st.floats(0.1, 5.0)), min_size=1, max_size=20))
def test_store_acquire_is_all_or_nothing(costs: list[tuple[float, float]]) -> None:
    store = MemoryBucketStore()
    a, b = BucketShape("s:a", 5.0, 1.0), BucketShape("s:b", 5.0, 2.0)

    async def main() -> None:
        for cost_a, cost_b in costs:
            before = (await store.snapshot(a, 0.0)).tokens, (await store.snapshot(b, 0.0)).tokens
            wait = await store.acquire([Charge(a, cost_a), Charge(b, cost_b)], 0.0)
            after = (await store.snapshot(a, 0.0)).tokens, (await store.snapshot(b, 0.0)).tokens
            if wait == 0.0:
                assert after == (before[0] - cost_a, before[1] - cost_b)
            else:
                assert after == before  # a refused charge spends from no bucket
                assert wait == max((cost_a - before[0]) / 1.0, (cost_b - before[1]) / 2.0)

    asyncio.run(main())


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 20), st.integers(5, 60), st.lists(st.floats(0.0, 2.0), min_size=1, max_size=40))
def test_concurrent_tasks_never_exceed_a_stores_window(rps: int, tasks: int, starts: list[float]) -> None:
    """Many tasks sharing one store: at most `rps` requests in any one-second window (open at the left)."""
    clock = VirtualClock(start=0.0)  # the harshest case for float rounding at window edges
    limiter = Limiter("store:x", RequestsPerSecond(requests=rps), MemoryBucketStore(), clock)
    times: list[float] = []

    async def task(delay: float) -> None:
        await asyncio.sleep(delay)
        for _ in range(3):
            await limiter.acquire()
            times.append(clock.now())

    async def main() -> None:
        await asyncio.gather(*(task(starts[i % len(starts)]) for i in range(tasks)))

    clock.run(main())
    times.sort()
    assert len(times) == 3 * tasks
    for i, t in enumerate(times):
        # What a platform counting "requests in the last second" sees: never more than rps.
        assert len([u for u in times[i:] if u < t + 1.0]) <= rps


def test_two_stores_never_share_a_budget(virtual_clock: VirtualClock) -> None:
    store = MemoryBucketStore()
    spec = RequestsPerSecond(requests=1)
    one = Limiter("store:1", spec, store, virtual_clock)
    two = Limiter("store:2", spec, store, virtual_clock)

    async def main() -> tuple[float, float]:
        return await one.acquire(), await two.acquire()

    assert virtual_clock.run(main()) == (0.0, 0.0)


def test_concurrent_waiters_line_up_instead_of_waking_together(virtual_clock: VirtualClock) -> None:
    """30 tasks on a 5 req/s bucket: each waiter sleeps once, in arrival order (no thundering herd)."""
    limiter = Limiter("store:herd", RequestsPerSecond(requests=5), MemoryBucketStore(), virtual_clock)
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    async def main() -> float:
        start = virtual_clock.now()
        await asyncio.gather(*(one(i) for i in range(30)))
        return virtual_clock.now() - start

    elapsed = virtual_clock.run(main())
    assert order == list(range(30))
    assert limiter.stats.waits == 29
    assert elapsed == pytest.approx(29 / 5, abs=1e-3)


def test_a_burst_goes_out_back_to_back_then_the_rate_paces(virtual_clock: VirtualClock) -> None:
    limiter = Limiter("store:burst", RequestsPerSecond(requests=10, burst=4), MemoryBucketStore(), virtual_clock)
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        times.append(virtual_clock.now())

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(24)))

    virtual_clock.run(main())
    assert times[:4] == [times[0]] * 4
    gaps = [b - a for a, b in itertools.pairwise(times[3:])]
    assert gaps == pytest.approx([0.1] * 20, abs=1e-5)
    # What the field's description warns of: a window can see requests + burst - 1.
    assert max(len([u for u in times if t <= u < t + 1.0]) for t in times) == 10 + 4 - 1


def test_burst_defaults_to_one_and_may_not_exceed_the_window() -> None:
    from pydantic import ValidationError

    from fusionhub.contracts import RequestsPerMinute
    from fusionhub.ratelimit import shapes_for

    (window,) = shapes_for("store:a", RequestsPerSecond(requests=10))
    assert window.capacity == 1.0 and window.refill_rate == 10.0
    (window,) = shapes_for("store:a", RequestsPerMinute(requests=120, burst=20))
    assert window.capacity == 20.0 and window.refill_rate == 2.0
    with pytest.raises(ValidationError, match="burst 11 exceeds the 10 requests"):
        RequestsPerSecond(requests=10, burst=11)


def test_acquired_now_spends_at_once_or_leaves_the_decision_to_acquire(virtual_clock: VirtualClock) -> None:
    """The transport's synchronous try: True spends; False spends nothing (acquire then waits or refuses)."""
    limiter = Limiter("store:now", RequestsPerSecond(requests=10, burst=2), MemoryBucketStore(), virtual_clock)
    assert limiter.acquired_now() and limiter.acquired_now()
    level = limiter.memory_level()
    assert level is not None and level < 1
    assert not limiter.acquired_now()
    assert limiter.memory_level() == level  # a failed try spent nothing
    assert limiter.stats.acquired == 2

    class OtherStore(MemoryBucketStore):  # not this process's plain memory store: always `acquire`
        pass

    other = Limiter("store:other", RequestsPerSecond(requests=10), OtherStore(), virtual_clock)
    assert not other.acquired_now()
    assert virtual_clock.run(other.acquire()) == 0.0
