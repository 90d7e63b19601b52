"""The issue's check: 1,000 scheduled calls against a fake enforcing 10 requests/second.

The fake counts with its own sliding one-second window (not fusionhub's buckets) and answers
429 when a client goes over; the workload must finish within 2 % of the theoretical 100 s.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fake_platform import FakeServer, connect, make_hub

from fusionhub import Capability
from fusionhub.clock import VirtualClock

CALLS = 1_000
RATE = 10  # requests per second, enforced by the fake
WORKERS = 25  # concurrent tasks sharing the store's budget


def test_thousand_calls_at_ten_per_second_finish_in_time_without_429(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="workload-key-1", limit=RATE, window=1.0)
    hub = make_hub(virtual_clock, server)
    store = connect(hub, server)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(CALLS):
        queue.put_nowait(i)

    async def worker() -> int:
        done = 0
        while not queue.empty():
            queue.get_nowait()
            outcome = await hub.execute(store, Capability.LIST_PRODUCTS, {"limit": 10})
            assert outcome.value.items[0].title == "Mug"
            done += 1
        return done

    async def main() -> list[int]:
        return await asyncio.gather(*(worker() for _ in range(WORKERS)))

    started = virtual_clock.now()
    done = virtual_clock.run(main())
    elapsed = virtual_clock.now() - started

    assert sum(done) == CALLS
    assert len(server.requests) == CALLS  # no retries were needed: nothing was refused
    assert server.throttled == 0
    minimum = CALLS / RATE
    assert elapsed <= 1.02 * minimum, f"{elapsed:.2f}s of virtual time for {CALLS} calls"
    assert elapsed >= minimum - 1.0  # a bucket of one spends evenly: no early burst beyond the first call
    stats = hub.stats()
    assert stats["capabilities"]["fakeshop.list_products"]["ok"] == CALLS
    assert stats["rate_limits"][store.id]["throttled"] == 0


def test_the_fake_really_refuses_a_client_without_limits(virtual_clock: VirtualClock) -> None:
    """The fake's counter is real: a burst that ignores the limit gets 429s."""
    server = FakeServer(virtual_clock, api_key="workload-key-2", limit=RATE)

    async def main() -> list[int]:
        async with httpx.AsyncClient(transport=server.transport(), base_url="https://fake.test/v1/") as c:
            responses = [await c.get("products", params={"api_key": "workload-key-2"}) for _ in range(15)]
        return [r.status_code for r in responses]

    statuses = virtual_clock.run(main())
    assert statuses.count(200) == RATE
    assert statuses.count(429) == 5


def test_simulated_lower_limit_through_the_hub(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="workload-key-3", limit=RATE)
    hub = make_hub(virtual_clock, server)
    store = connect(hub, server)

    async def run(calls: int) -> float:
        start = virtual_clock.now()
        for _ in range(calls):
            await hub.execute(store, Capability.LIST_PRODUCTS, {})
        return virtual_clock.now() - start

    async def main() -> tuple[float, float]:
        hub.simulate_rate_limit(store, 0.5, duration=1_000)
        lowered = await run(100)
        hub.simulate_rate_limit(store, 0.5, duration=0)  # ended early
        return lowered, await run(100)

    lowered, normal = virtual_clock.run(main())
    assert lowered == pytest.approx(100 / (RATE * 0.5), abs=0.3)
    assert normal == pytest.approx(100 / RATE, abs=0.3)
    assert server.throttled == 0
