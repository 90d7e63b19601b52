"""Limiter.in_flight: what the transport has sent for a store and not yet seen answered."""

from __future__ import annotations

import httpx

from fusionhub.clock import VirtualClock
from fusionhub.http import HttpConfig, meta
from fusionhub.http.transport import LimitedTransport
from fusionhub.ratelimit import Limiter, MemoryBucketStore


def test_a_request_is_in_flight_until_answered_and_not_while_observed() -> None:
    clock = VirtualClock()
    limiter = Limiter("store:f", None, MemoryBucketStore(), clock)
    seen: dict[str, float] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen["sending"] = limiter.in_flight
        return httpx.Response(200)

    async def observe(response: httpx.Response, lim: Limiter) -> None:
        seen["observed"] = lim.in_flight

    config = HttpConfig(base_url="https://api.test/", on_response=observe)
    transport = LimitedTransport(httpx.MockTransport(answer), limiter, config)

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="https://api.test/") as client:
            await client.get("x", extensions=meta(cost=5))

    clock.run(main())
    assert seen == {"sending": 5.0, "observed": 0.0}
    assert limiter.in_flight == 0.0
