"""Server corrections of a store's buckets, and simulate_rate_limit."""

from __future__ import annotations

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.contracts import CostBased, Dynamic, OperationRate, RequestsPerMinute, RequestsPerSecond, WindowLimit
from fusionhub.http import meta
from fusionhub.ratelimit import Limiter, MemoryBucketStore, scaled, simulate_rate_limit
from fusionhub.ratelimit.feedback import (
    amazon_on_response,
    apply_etsy_headers,
    apply_shopify_cost,
    etsy_on_response,
    shopify_on_response,
)


def _limiter(clock: VirtualClock, spec: object) -> Limiter:
    return Limiter("store:t", spec, MemoryBucketStore(), clock)  # type: ignore[arg-type]


def _response(
    status: int = 200, *, headers: dict[str, str] | None = None, json: object = None, **m: object
) -> httpx.Response:
    request = httpx.Request("POST", "https://x.test/graphql", extensions=meta(**m))
    return httpx.Response(status, headers=headers, json=json, request=request)


def test_shopify_refund_and_bucket_from_throttle_status(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, CostBased(max_cost=1000, restore_rate=50))

    async def main() -> tuple[float, float, float]:
        await limiter.acquire(100)  # requested cost charged before sending
        cost = {
            "requestedQueryCost": 100,
            "actualQueryCost": 12,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1988, "restoreRate": 100.0},
        }
        await apply_shopify_cost(limiter, cost, charged=100)
        state = await limiter.level()
        assert state is not None
        return state.tokens, state.capacity, state.refill_rate

    tokens, capacity, rate = virtual_clock.run(main())
    assert (capacity, rate) == (2000.0, 100.0)
    assert tokens == 988  # 1000 - 100 + 88 refunded; the server's 1988 is not taken over ours


def test_shopify_server_lower_than_us_wins_and_throttled_is_counted(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, CostBased(max_cost=1000, restore_rate=50))
    body = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 50,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 7, "restoreRate": 50},
            }
        },
    }

    async def main() -> float:
        await limiter.acquire(50)
        await shopify_on_response(_response(json=body, cost=50), limiter)
        state = await limiter.level()
        assert state is not None
        return state.tokens

    assert virtual_clock.run(main()) == 7
    assert limiter.stats.throttled == 1
    assert limiter.stats.corrections >= 1


def test_etsy_headers_set_rates_and_drain(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10, per_day=10_000))
    headers = {
        "x-limit-per-second": "5",
        "x-remaining-this-second": "0",
        "x-limit-per-day": "5000",
        "x-remaining-today": "42",
    }

    async def main() -> dict[str, dict[str, float]]:
        await apply_etsy_headers(limiter, headers)
        return (await limiter.report())["buckets"]

    buckets = virtual_clock.run(main())
    assert buckets["window"] == {"tokens": 0.0, "capacity": 1.0, "refill_rate": 5.0}
    assert buckets["day"]["capacity"] == 5000
    assert buckets["day"]["tokens"] == 42
    assert buckets["day"]["refill_rate"] == pytest.approx(5000 / 86_400)


def test_etsy_429_drains_the_window(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))

    async def main() -> float:
        await etsy_on_response(_response(429), limiter)
        return await limiter.acquire()

    assert virtual_clock.run(main()) == pytest.approx(0.1, abs=1e-5)


def test_amazon_rate_header_corrects_only_that_operation(virtual_clock: VirtualClock) -> None:
    spec = Dynamic(operations={"getListingsItem": OperationRate(rate=5, burst=10)})
    limiter = _limiter(virtual_clock, spec)

    async def main() -> tuple[float | None, float | None]:
        response = _response(headers={"x-amzn-RateLimit-Limit": "2.0"}, operation="getListingsItem")
        await amazon_on_response(response, limiter)
        mine = await limiter.level("getListingsItem")
        other = await limiter.level("searchListingsItems")
        return (mine.refill_rate if mine else None), (other.refill_rate if other else None)

    mine, other = virtual_clock.run(main())
    assert mine == 2.0
    assert other == pytest.approx(0.0056)  # an unknown operation: the most conservative bucket


def test_printify_publishing_class_is_an_extra_bucket(virtual_clock: VirtualClock) -> None:
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


def test_a_429_through_the_transport_counts_once_with_a_platform_observer(virtual_clock: VirtualClock) -> None:
    from fusionhub.http import HttpConfig, RetryPolicy, build_client

    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))
    config = HttpConfig(base_url="https://x.test/", on_response=etsy_on_response, retry=RetryPolicy(attempts=1))
    transport = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "1"}))

    async def main() -> int:
        async with build_client(config, limiter, transport) as client:
            return (await client.get("listings/1")).status_code

    assert virtual_clock.run(main()) == 429
    assert limiter.stats.throttled == 1
