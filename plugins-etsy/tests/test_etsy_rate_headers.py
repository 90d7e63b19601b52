"""Etsy's rate headers correct the store's window and day buckets after every response."""

from __future__ import annotations

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.contracts import RequestsPerSecond
from fusionhub.http import HttpConfig, RetryPolicy, build_client
from fusionhub.ratelimit import Limiter, MemoryBucketStore
from fusionhub_etsy.endpoints import BASE_URL
from fusionhub_etsy.ratelimit import RATE_HEADERS


def _limiter(clock: VirtualClock, spec: RequestsPerSecond) -> Limiter:
    return Limiter("store:t", spec, MemoryBucketStore(), clock)


def test_headers_set_rates_and_drain(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10, per_day=10_000))
    headers = {
        "x-limit-per-second": "5",
        "x-remaining-this-second": "0",
        "x-limit-per-day": "5000",
        "x-remaining-today": "42",
    }

    async def main() -> dict[str, dict[str, float]]:
        await RATE_HEADERS.apply(limiter, headers)
        return (await limiter.report())["buckets"]

    buckets = virtual_clock.run(main())
    assert buckets["window"] == {"tokens": 0.0, "capacity": 1.0, "refill_rate": 5.0}
    assert buckets["day"]["capacity"] == 5000
    assert buckets["day"]["tokens"] == 42
    assert buckets["day"]["refill_rate"] == pytest.approx(5000 / 86_400)


def test_a_429_drains_the_window(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))
    response = httpx.Response(429, request=httpx.Request("GET", "https://x.test/listings/1"))

    async def main() -> float:
        await RATE_HEADERS.observe(response, limiter)
        return await limiter.acquire()

    assert virtual_clock.run(main()) == pytest.approx(0.1, abs=1e-5)


def test_a_429_through_the_transport_counts_once_with_the_observer(virtual_clock: VirtualClock) -> None:
    limiter = _limiter(virtual_clock, RequestsPerSecond(requests=10))
    config = HttpConfig(
        base_url=BASE_URL,
        headers={"x-api-key": "keystring:shared-secret"},
        on_response=RATE_HEADERS.observe,
        retry=RetryPolicy(attempts=1),
    )
    transport = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "1"}))

    async def main() -> int:
        async with build_client(config, limiter, transport) as client:
            return (await client.get("listings/1")).status_code

    assert virtual_clock.run(main()) == 429
    assert limiter.stats.throttled == 1
