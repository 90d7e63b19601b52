"""Bucket throughput (acquires per second) and scheduling within a limit on virtual time."""

from __future__ import annotations

import asyncio
import time

from bench import Row
from fusionhub.clock import SYSTEM_CLOCK, VirtualClock
from fusionhub.contracts import RequestsPerSecond
from fusionhub.ratelimit import Limiter, MemoryBucketStore, TokenBucket

HUGE = RequestsPerSecond(requests=1_000_000_000)  # never binds: measures the acquire itself
BARE = "baseline: bare TokenBucket.try_spend"


def _raw(n: int) -> float:
    bucket = TokenBucket.full(1e12, 1e12, now=time.time())
    started = time.perf_counter()
    for _ in range(n):
        bucket.try_spend(1.0, time.time())
    return n / (time.perf_counter() - started)


async def _limiter(n: int, tasks: int) -> float:
    limiter = Limiter("store:bench", HUGE, MemoryBucketStore(), SYSTEM_CLOCK)

    async def worker() -> None:
        for _ in range(n // tasks):
            await limiter.acquire()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return n / (time.perf_counter() - started)


def _scheduled(calls: int, rps: int, tasks: int) -> float:
    """Virtual seconds for `calls` acquires by `tasks` concurrent tasks under `rps`."""
    clock = VirtualClock()
    limiter = Limiter("store:sched", RequestsPerSecond(requests=rps), MemoryBucketStore(), clock)

    async def worker() -> None:
        for _ in range(calls // tasks):
            await limiter.acquire()

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(tasks)))

    start = clock.now()
    clock.run(main())
    return clock.now() - start


def rows(quick: bool = False) -> list[Row]:
    n = 20_000 if quick else 200_000
    raw = max(_raw(n) for _ in range(3))
    single = max(asyncio.run(_limiter(n, 1)) for _ in range(3))
    many = max(asyncio.run(_limiter(n, 50)) for _ in range(3))
    calls = 1_000
    virtual = _scheduled(calls, 10, 25)
    return [
        Row(
            "bucket acquire, 1 task (Limiter + MemoryBucketStore)",
            raw,
            single,
            "acquires/s",
            "baseline: bare try_spend",
        ),
        Row("bucket acquire, 50 tasks", raw, many, "acquires/s", "baseline: bare try_spend"),
        Row(f"{calls} calls at 10 req/s, 25 tasks (virtual time)", calls / 10, virtual, "s", "baseline: N / rate"),
    ]
