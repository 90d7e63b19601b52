"""The store transport: retries (idempotent only, Retry-After honoured), gzip, records, limits."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import time
from typing import Any

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.contracts import RequestsPerSecond
from fusionhub.errors import RateLimited
from fusionhub.http import HttpConfig, RetryPolicy, build_client, meta
from fusionhub.observability import current_capability
from fusionhub.observability.records import ApiCall
from fusionhub.ratelimit import Limiter, MemoryBucketStore
from fusionhub.ratelimit.admission import refusing

BASE = "https://api.test/"
POLICY = RetryPolicy(attempts=4, wait_initial=1.0, wait_max=8.0, wait_jitter=0.0)


class Harness:
    def __init__(self, clock: VirtualClock, *, spec: RequestsPerSecond | None = None, **config: object) -> None:
        self.clock = clock
        self.calls: list[ApiCall] = []
        self.limiter = Limiter("store:h", spec, MemoryBucketStore(), clock)
        self.config = HttpConfig(base_url=BASE, retry=POLICY, **config)  # type: ignore[arg-type]

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        return build_client(self.config, self.limiter, transport, sink=self.calls.append)


def _sequence(*answers: int | type[Exception]) -> tuple[list[float], httpx.MockTransport, VirtualClock]:
    clock = VirtualClock(start=0.0)
    times: list[float] = []
    pending = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        times.append(clock.now())
        answer = pending.pop(0) if pending else 200
        if isinstance(answer, int):
            headers = {"retry-after": "3"} if answer == 429 else {}
            return httpx.Response(answer, headers=headers, json={})
        raise answer("failed", request=request)  # type: ignore[call-arg]

    return times, httpx.MockTransport(handle), clock


def test_transient_get_is_retried_with_exponential_backoff() -> None:
    times, transport, clock = _sequence(503, 502, httpx.ConnectError)
    h = Harness(clock)

    async def main() -> int:
        async with h.client(transport) as client:
            return (await client.get("x")).status_code

    assert clock.run(main()) == 200
    assert [round(t, 6) for t in times] == [0.0, 1.0, 3.0, 7.0]  # waits 1, 2, 4 (no jitter here)
    assert h.calls[-1].retries == 3 and h.calls[-1].status == 200
    assert len(h.calls) == 1  # one record per call, not per attempt


def test_retry_after_is_waited_exactly() -> None:
    times, transport, clock = _sequence(429)
    h = Harness(clock)

    async def main() -> int:
        async with h.client(transport) as client:
            return (await client.get("x")).status_code

    assert clock.run(main()) == 200
    assert times == [0.0, 3.0]
    assert h.limiter.stats.throttled == 1


def test_in_a_worker_a_429_is_not_slept_on_but_handed_back() -> None:
    times, transport, clock = _sequence(429)
    h = Harness(clock)

    async def main() -> int:
        with refusing():  # what the job runner sets around a job
            async with h.client(transport) as client:
                return (await client.get("x")).status_code

    assert clock.run(main()) == 429  # the plugin raises RateLimited(3): the job is re-scheduled
    assert times == [0.0]
    assert clock.now() == 0.0


def test_a_long_retry_after_reaches_the_plugin_as_the_response() -> None:
    clock = VirtualClock(start=0.0)
    transport = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "600"}))
    h = Harness(clock)

    async def main() -> int:
        async with h.client(transport) as client:
            return (await client.get("x")).status_code

    assert clock.run(main()) == 429  # the plugin raises RateLimited(600): a worker re-schedules
    assert clock.now() == 0.0


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_requests_are_never_retried(method: str) -> None:
    times, transport, clock = _sequence(503, httpx.ReadTimeout)
    h = Harness(clock)

    async def main() -> int:
        async with h.client(transport) as client:
            return (await client.request(method, "x", json={"a": 1})).status_code

    assert clock.run(main()) == 503
    assert len(times) == 1


def test_marked_or_keyed_requests_are_retried() -> None:
    times, transport, clock = _sequence(503, 503)
    h = Harness(clock)

    async def main() -> list[int]:
        async with h.client(transport) as client:
            marked = await client.post("graphql", json={"query": "{shop{name}}"}, extensions=meta(idempotent=True))
            keyed = await client.post("orders", json={}, headers={"Idempotency-Key": "k1"})
            return [marked.status_code, keyed.status_code]

    assert clock.run(main()) == [200, 200]
    assert len(times) == 4


def test_network_errors_after_the_last_attempt_propagate() -> None:
    times, transport, clock = _sequence(*[httpx.ReadTimeout] * 4)
    h = Harness(clock)

    async def main() -> None:
        async with h.client(transport) as client:
            await client.get("x")

    with pytest.raises(httpx.ReadTimeout):
        clock.run(main())
    assert len(times) == 4
    assert h.calls[-1].error == "ReadTimeout" and h.calls[-1].status is None and h.calls[-1].retries == 3


def test_each_attempt_is_charged_to_the_bucket() -> None:
    times, transport, clock = _sequence(503)
    h = Harness(clock, spec=RequestsPerSecond(requests=1))
    h.config.retry = RetryPolicy(attempts=2, wait_initial=0.1, wait_jitter=0.0)

    async def main() -> None:
        async with h.client(transport) as client:
            await client.get("x")

    clock.run(main())
    assert times[1] == pytest.approx(1.0, abs=1e-5)  # the back-off was 0.1 s, the bucket needed 1 s


def test_large_bodies_are_gzipped_small_ones_not() -> None:
    clock = VirtualClock(start=0.0)
    h = Harness(clock, gzip_min_bytes=1024)
    big = {"items": ["x" * 50] * 100}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post("bulk").mock(return_value=httpx.Response(200))

        async def main() -> None:
            async with h.client(httpx.AsyncHTTPTransport()) as client:
                await client.post("bulk", json=big)
                await client.post("bulk", json={"small": True})

        clock.run(main())
    first, second = (c.request for c in route.calls)
    assert first.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(first.content)) == big
    assert int(first.headers["content-length"]) == len(first.content)
    assert "content-encoding" not in second.headers


def test_records_name_the_capability_and_hide_secret_params() -> None:
    clock = VirtualClock(start=0.0)
    h = Harness(clock, spec=RequestsPerSecond(requests=5))
    transport = httpx.MockTransport(lambda r: httpx.Response(200))

    async def main() -> None:
        token = current_capability.set("list_products")
        try:
            async with h.client(transport) as client:
                await client.get("products", params={"access_token": "qs-secret-9999", "page": "2"})
        finally:
            current_capability.reset(token)

    clock.run(main())
    (call,) = h.calls
    assert call.capability == "list_products"
    assert call.path == "/products?access_token=[redacted]&page=2"
    assert call.method == "GET" and call.status == 200 and call.cost == 1.0
    assert call.bucket_level == pytest.approx(0.0)


def test_a_worker_task_gets_rate_limited_instead_of_waiting() -> None:
    clock = VirtualClock(start=0.0)
    h = Harness(clock, spec=RequestsPerSecond(requests=1))
    transport = httpx.MockTransport(lambda r: httpx.Response(200))

    async def main() -> None:
        async with h.client(transport) as client:
            await client.get("x")
            with refusing():
                await client.get("x")

    with pytest.raises(RateLimited) as info:
        clock.run(main())
    assert info.value.retry_after == pytest.approx(1.0)
    assert len(h.calls) == 1  # the refused request never went out: no API call recorded


class SteppingClock:
    """A clock on an ordinary event loop: sleeping moves its time, the loop's own timers stay real."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


def test_retry_waits_are_taken_on_the_fusionhub_clock() -> None:
    clock = SteppingClock()
    answers = [503, 429, 200]
    limiter = Limiter("store:s", None, MemoryBucketStore(), clock)
    config = HttpConfig(base_url=BASE, retry=RetryPolicy(attempts=4, wait_initial=2.0, wait_jitter=0.0))

    def handle(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        return httpx.Response(status, headers={"retry-after": "5"} if status == 429 else {})

    async def main() -> int:
        async with build_client(config, limiter, httpx.MockTransport(handle)) as client:
            return (await client.get("x")).status_code

    started = time.perf_counter()
    assert asyncio.run(main()) == 200
    assert clock.sleeps == [2.0, 5.0]  # stamina's first back-off, then the platform's Retry-After
    assert time.perf_counter() - started < 1.0  # nothing slept in wall time


def test_jitter_stays_within_its_bound() -> None:
    times, transport, clock = _sequence(503, 503, 503)
    h = Harness(clock)
    h.config.retry = RetryPolicy(attempts=4, wait_initial=1.0, wait_max=100.0, wait_jitter=0.5)

    async def main() -> None:
        async with h.client(transport) as client:
            await client.get("x")

    clock.run(main())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for gap, base in zip(gaps, [1.0, 2.0, 4.0], strict=True):
        assert base <= gap <= base + 0.5 + 1e-6


class SharedStore:
    """Stands for a database store: same contract, no `local` flag; counts reads."""

    def __init__(self) -> None:
        self.inner = MemoryBucketStore()
        self.snapshots = 0

    async def acquire(self, charges: Any, now: float) -> float:
        return await self.inner.acquire(charges, now)

    async def adjust(self, shape: Any, now: float, **changes: Any) -> Any:
        return await self.inner.adjust(shape, now, **changes)

    async def snapshot(self, shape: Any, now: float) -> Any:
        self.snapshots += 1
        return await self.inner.snapshot(shape, now)


def test_a_shared_store_is_not_read_once_more_per_request() -> None:
    clock = VirtualClock(start=0.0)
    store = SharedStore()
    calls: list[ApiCall] = []
    limiter = Limiter("store:db", RequestsPerSecond(requests=5), store, clock)
    config = HttpConfig(base_url=BASE)

    transport = httpx.MockTransport(lambda r: httpx.Response(200))

    async def main() -> None:
        async with build_client(config, limiter, transport, sink=calls.append) as client:
            await client.get("x")

    clock.run(main())
    assert store.snapshots == 0
    assert calls[0].bucket_level is None and calls[0].status == 200
