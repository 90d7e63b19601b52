"""Server corrections of a store's buckets (helpers and declared rate headers), and simulate_rate_limit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.contracts import CostBased, Dynamic, OperationRate, RequestsPerMinute, RequestsPerSecond, WindowLimit
from fusionhub.ratelimit import Limiter, MemoryBucketStore, inflight, scaled, simulate_rate_limit
from fusionhub.ratelimit.feedback import HeaderLimit, RateHeaders, lower_to, reported_number

# A platform reporting a paced per-minute window and an hourly quota (header names are the test's own).
HEADERS = RateHeaders(
    (
        HeaderLimit("window", per=60.0, limit="x-rate-limit", remaining="x-rate-remaining"),
        HeaderLimit("day", per=3600.0, limit="x-quota-limit", remaining="x-quota-remaining", quota=True),
    ),
    throttled="window",
)


def _limiter(clock: VirtualClock, spec: object) -> Limiter:
    return Limiter("store:t", spec, MemoryBucketStore(), clock)  # type: ignore[arg-type]


def test_lower_to_takes_a_lower_report_and_never_raises_ours(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10, per_day=100))

    async def main() -> list[float]:
        levels = []
        for reported in (7.0, 9.0, 0.0):
            await lower_to(limiter, "day", reported)
            state = await limiter.correct(bucket="day")
            assert state is not None
            levels.append(state.tokens)
        await lower_to(limiter, "no-such-bucket", 0.0)  # a bucket the spec has not: nothing to lower
        return levels

    assert virtual_clock.run(main()) == [7.0, 7.0, 0.0]


@pytest.mark.parametrize(("raw", "number"), [("5", 5.0), ("0.5", 0.5), ("-1", None), ("many", None), (None, None)])
def test_reported_number_reads_what_a_platform_sends(raw: object, number: float | None) -> None:
    assert reported_number(raw) == number


async def _buckets(limiter: Limiter) -> dict[str, dict[str, float]]:
    return (await limiter.report())["buckets"]  # type: ignore[no-any-return]


def test_declared_headers_set_rates_capacities_and_lower_levels(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerMinute(requests=60, per_day=1000))
    elsewhere = RateHeaders((HeaderLimit("hour", per=3600.0, limit="x-quota-limit", remaining="x-quota-remaining"),))
    report = {"x-rate-limit": "120", "x-rate-remaining": "0", "x-quota-limit": "500", "x-quota-remaining": "42"}

    async def main() -> list[dict[str, dict[str, float]]]:
        seen = [await _buckets(limiter)]
        await HEADERS.apply(limiter, report)
        seen.append(await _buckets(limiter))
        # What is left is only ever lowered; a limit of 0, a malformed or a negative one is no rate.
        await HEADERS.apply(limiter, {"x-quota-remaining": "400", "x-rate-limit": "0", "x-quota-limit": "-5"})
        await HEADERS.apply(limiter, {"x-rate-remaining": "many"})
        await elsewhere.apply(limiter, report)  # a bucket the store's spec has not: nothing to correct
        seen.append(await _buckets(limiter))
        return seen

    before, after, again = virtual_clock.run(main())
    # A paced window keeps its burst and takes the rate; a quota takes the limit as its capacity too.
    assert after["window"] == {"tokens": 0.0, "capacity": before["window"]["capacity"], "refill_rate": 2.0}
    assert after["day"] == {"tokens": 42.0, "capacity": 500.0, "refill_rate": pytest.approx(500 / 3600)}
    assert again == after


def test_requests_still_in_flight_are_taken_from_a_reported_level(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10, per_day=100))

    async def main() -> float:
        with inflight.flying(limiter.store_key, 3.0):  # sent, not yet counted by the platform
            await HEADERS.apply(limiter, {"x-quota-remaining": "50"})
        state = await limiter.correct(bucket="day")
        assert state is not None
        return state.tokens

    assert virtual_clock.run(main()) == 47.0


def test_a_429_empties_the_throttled_bucket(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))
    request = httpx.Request("GET", "https://api.test/items")

    async def main() -> tuple[float, float]:
        await HEADERS.observe(httpx.Response(200, request=request), limiter)
        first = await limiter.acquire()
        await virtual_clock.sleep(1)
        await HEADERS.observe(httpx.Response(429, request=request), limiter)
        return first, await limiter.acquire()

    assert virtual_clock.run(main()) == (0.0, pytest.approx(0.1, abs=1e-5))


@pytest.mark.parametrize(
    ("headers", "throttled", "wait"),
    [
        ({"retry-after": "3", "x-quota-remaining": "0", "x-quota-limit": "10"}, "window", 3.0),
        ({"x-rate-limit": "120", "x-rate-remaining": "0"}, "window", 0.5),
        # both empty: the slower refill
        (
            {"x-rate-limit": "120", "x-rate-remaining": "0", "x-quota-limit": "10", "x-quota-remaining": "0"},
            None,
            360.0,
        ),
        ({"x-quota-limit": "10", "x-quota-remaining": "0"}, "window", 360.0),
        ({"x-quota-remaining": "0"}, "window", 60.0),  # an empty quota of unknown size: the window's
        ({"x-rate-limit": "30"}, "window", 2.0),  # nothing empty: one refill of the throttled bucket
        ({}, "window", 60.0),  # its limit unknown: a whole period
        ({}, None, 1.0),
        ({"retry-after": "soon"}, None, 1.0),
    ],
)
def test_a_429s_wait_comes_from_the_headers(headers: dict[str, str], throttled: str | None, wait: float) -> None:
    table = RateHeaders(HEADERS.limits, throttled=throttled)
    assert table.wait(httpx.Response(429, headers=headers)) == pytest.approx(wait)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [({"per": 0.0, "limit": "x-limit"}, "per must be a positive"), ({"per": 1.0}, "name the limit header")],
)
def test_a_header_limit_refuses_what_cannot_work(kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        HeaderLimit("window", **kwargs)  # type: ignore[arg-type]


def test_an_endpoint_class_is_an_extra_bucket(virtual_clock: VirtualClock) -> None:
    spec = RequestsPerMinute(requests=600, endpoint_classes={"publishing": WindowLimit(requests=200, window=1800)})
    limiter = _limiter(virtual_clock, spec)

    async def main() -> tuple[float, float]:
        for _ in range(210):  # 200 at once, then one per 9 s (200 per 1800 s)
            await limiter.acquire(endpoint_class="publishing")
        publishing_done = virtual_clock.now()
        for _ in range(100):  # other endpoints keep the minute window's pace (10/s)
            await limiter.acquire()
        return publishing_done - start, virtual_clock.now() - publishing_done

    start = virtual_clock.now()
    publishing, others = virtual_clock.run(main())
    assert publishing == pytest.approx(90.0, abs=0.1)
    assert others == pytest.approx(10.0, abs=0.2)


def test_an_endpoint_class_with_burst_1_is_spent_evenly(virtual_clock: VirtualClock) -> None:
    """A class the platform counts in windows: no window of its length ever sees more than `requests`."""
    spec = RequestsPerMinute(requests=600, endpoint_classes={"catalog": WindowLimit(requests=100, window=60, burst=1)})
    limiter = _limiter(virtual_clock, spec)

    async def main() -> list[float]:
        times = []
        for _ in range(250):
            await limiter.acquire(endpoint_class="catalog")
            times.append(virtual_clock.now())
        return times

    times = virtual_clock.run(main())
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 100
    assert times[-1] - times[0] == pytest.approx(249 * 0.6, abs=0.01)
    with pytest.raises(ValueError, match="burst 101 exceeds the 100 requests"):
        WindowLimit(requests=100, window=60, burst=101)


def test_simulate_rate_limit_lowers_then_restores(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))

    async def timed(n: int) -> float:
        start = virtual_clock.now()
        for _ in range(n):
            await limiter.acquire()
        return virtual_clock.now() - start

    async def main() -> tuple[float, float, float]:
        normal = await timed(11)
        until = simulate_rate_limit(limiter, 0.1, duration=30)
        assert until == pytest.approx(virtual_clock.now() + 30)
        lowered = await timed(11)
        await virtual_clock.sleep(30)
        restored = await timed(11)
        return normal, lowered, restored

    normal, lowered, restored = virtual_clock.run(main())
    assert normal == pytest.approx(1.0, abs=1e-3)
    assert lowered == pytest.approx(10.0, abs=0.2)  # a tenth of the rate
    assert restored == pytest.approx(1.0, abs=0.2)
    assert limiter.simulation is None


def test_scaled_specs_keep_the_dearest_request_possible() -> None:
    cost = scaled(CostBased(max_cost=1000, restore_rate=50, max_query_cost=500), 0.1)
    assert isinstance(cost, CostBased)
    assert (cost.max_cost, cost.restore_rate) == (500, 5)
    window = scaled(RequestsPerSecond(requests=10, per_day=1000), 0.5)
    assert isinstance(window, RequestsPerSecond)
    assert window.rate == 5 and window.per_day == 500
    dynamic = scaled(Dynamic(operations={"op": OperationRate(rate=2, burst=10)}), 0.5)
    assert isinstance(dynamic, Dynamic)
    assert dynamic.operations["op"] == OperationRate(rate=1, burst=5)
    with pytest.raises(ValueError, match="positive"):
        scaled(window, 0)


def test_simulating_needs_a_limit_or_a_spec(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, None)
    with pytest.raises(ValueError, match="no rate limit"):
        simulate_rate_limit(limiter, 0.5, 10)
    simulate_rate_limit(limiter, RequestsPerSecond(requests=1), 10)
    assert [s.key for s in limiter.shapes()] == ["store:t:simulated:window"]


class CountingSharedStore:
    """A memory store that says it is shared (as a database's is) and counts its writes and its
    lowering steps (one statement each on a database)."""

    def __init__(self) -> None:
        self.inner = MemoryBucketStore()
        self.writes = 0
        self.lowers = 0

    async def acquire(self, charges: Any, now: float) -> float:
        return await self.inner.acquire(charges, now)

    async def adjust(self, shape: Any, now: float, **changes: Any) -> Any:
        self.writes += 1
        return await self.inner.adjust(shape, now, **changes)

    async def lower(self, levels: Any, now: float) -> int:
        self.lowers += 1
        lowered = await self.inner.lower(levels, now)
        self.writes += lowered
        return lowered

    async def snapshot(self, shape: Any, now: float) -> Any:
        return await self.inner.snapshot(shape, now)


def test_a_repeated_report_costs_a_shared_store_no_write() -> None:
    clock = VirtualClock(start=0.0)
    store = CountingSharedStore()
    limiter = Limiter("store:e", RequestsPerSecond(requests=10, per_day=10_000), store, clock)
    headers = RateHeaders(
        (
            HeaderLimit("window", per=1.0, limit="x-limit-per-second", remaining="x-remaining-this-second"),
            HeaderLimit("day", per=86_400.0, limit="x-limit-per-day", remaining="x-remaining-today", quota=True),
        )
    )
    report = {"x-limit-per-second": "10", "x-remaining-this-second": "9", "x-limit-per-day": "10000"}
    report["x-remaining-today"] = "9999"

    async def scenario() -> None:
        await limiter.acquire()
        await headers.apply(limiter, report)  # the first report: both limits written, 9 ≤ ours
        assert store.writes == 2
        lowers = store.lowers
        for _ in range(5):
            await headers.apply(limiter, report)  # the same limits, and nothing left lower than ours
        assert store.writes == 2
        assert store.lowers == lowers + 5  # both buckets' levels in one step per report
        await clock.sleep(1.0)  # both refill; the platform says it saw a request we did not
        await headers.apply(limiter, {**report, "x-remaining-this-second": "0"})
        window = await limiter.level()
        assert store.writes == 4 and window is not None and window.tokens == pytest.approx(0.0)  # both lowered
        await headers.apply(limiter, {**report, "x-limit-per-second": "5"})  # a new limit is written
        assert store.writes == 5

    clock.run(scenario())
