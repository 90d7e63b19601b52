"""What a failing platform may cost a job before it ends: bounded on both backends, on a virtual clock.

The admission fake's `list_products` is one GET (retried by the transport: 4 tries, 10 per call)
under a bucket of one request per second; the server fails, throttles or garbles on request.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from admission_fakes import SLUG, Server, registry
from cryptography.fernet import Fernet
from queue_suite import SteppingClock
from runtime_db import _drop, _pg_schema

from fusionhub.clock import VirtualClock
from fusionhub.errors import RateLimited
from fusionhub.http import HttpConfig, RetryPolicy, build_client
from fusionhub.jobs import Job, JobStatus, Worker
from fusionhub.jobs.errors import DEFAULT_MAX_RETRIES, MAX_PLATFORM_THROTTLES, MAX_THROTTLES
from fusionhub.jobs.runner import JobRunner
from fusionhub.ratelimit import Limiter, MemoryBucketStore, admission
from fusionhub.ratelimit.limiter import BucketRefused
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url

RATE = 1.0
ATTEMPTS = DEFAULT_MAX_RETRIES + 1  # the fake's contract sets no max_retries


@dataclass
class Env:
    runtime: Runtime
    server: Server
    clock: SteppingClock
    store_id: str

    async def run(self, capability: str = "list_products") -> Job:
        job = await self.runtime.enqueue(self.store_id, capability, {})
        # No patience: every refused first request is re-scheduled, so no worker ever sleeps on the bucket.
        worker = Worker(self.runtime, concurrency=1, heartbeat=False, lease_seconds=60, rate_patience=0)
        async with asyncio.timeout(60):  # virtual time runs fast; a loop that never ends does not
            await worker.run_until_idle()
        done = await self.runtime.queue.get(job.id)
        assert done is not None
        ctx = await self.runtime.context(self.store_id)
        assert ctx.limiter.stats.waits == 0  # no worker ever slept on the bucket
        return done

    def times(self) -> list[float]:
        return [t for t, _ in self.server.accepted]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Env]:
    schema = None
    if request.param == "sqlite":
        db = Database(sqlite_url(tmp_path / "failures.db"))
    else:
        db, schema = await _pg_schema(caller_clock=True)  # procrastinate runs on the virtual clock too
    clock = SteppingClock()
    await db.ensure_schema()
    server = Server(clock, RATE)
    keyring = Keyring([Fernet.generate_key().decode()], "test keys")
    runtime = Runtime(db, registry=registry(RATE), clock=clock, keyring=keyring, transport_for=server.transport)
    await runtime.register_plugins()
    store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
    try:
        yield Env(runtime, server, clock, store.id)
    finally:
        await runtime.aclose()
        if schema is not None:
            await _drop(schema)


async def test_a_persistent_503_ends_failed_transient_after_the_configured_attempts(env: Env) -> None:
    env.server.fail("GET", 503, times=10**6)
    started = env.clock.now()
    done = await env.run()
    assert done.status is JobStatus.FAILED and done.error_category == "transient", done
    assert done.attempts == ATTEMPTS and f"gave up after {ATTEMPTS} attempts" in (done.error_message or "")
    # Each run: its first request and the retries the bucket had tokens for at once (never waited for).
    assert ATTEMPTS <= len(env.server.requests) <= ATTEMPTS * RetryPolicy().attempts
    assert env.clock.now() - started < 60  # back-offs of 1, 2, 4 s and the transport's own pauses


async def test_a_short_outage_is_ridden_out_by_the_transport_and_the_job(env: Env) -> None:
    env.server.fail("GET", 503, times=2)
    done = await env.run()
    assert done.status is JobStatus.SUCCEEDED, done
    assert len(env.server.requests) == 3


async def test_a_persistent_429_backs_off_exponentially_with_jitter_then_fails(env: Env) -> None:
    env.server.throttle("GET", times=10**6)  # Retry-After: one interval (1 s)
    done = await env.run()
    assert done.status is JobStatus.FAILED and done.error_category == "rate_limit", done
    assert f"refused by the platform {MAX_PLATFORM_THROTTLES + 1} times" in (done.error_message or "")
    assert len(env.server.requests) == MAX_PLATFORM_THROTTLES + 1  # one request per run: nothing retried in place
    sent = env.server.sent_at
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    for n, gap in enumerate(gaps, start=1):
        scheduled = min(600.0, 2.0 ** (n - 1))
        assert max(RATE, scheduled) - 1e-6 <= gap <= max(RATE, scheduled * 1.5) + 1e-3, (n, gaps)
    assert len({round(gap / min(600.0, 2.0**n), 6) for n, gap in enumerate(gaps)}) > 1  # jittered


async def test_a_malformed_body_is_transient_a_bounded_number_of_times(env: Env) -> None:
    env.server.garble("GET", times=1)
    recovered = await env.run()
    assert recovered.status is JobStatus.SUCCEEDED and recovered.attempts == 1, recovered

    env.server.garble("GET", times=10**6)
    done = await env.run()
    assert done.status is JobStatus.FAILED and done.error_category == "transient", done
    assert "malformed response" in (done.error_message or "") and done.attempts == ATTEMPTS


def _job(**fields: object) -> Job:
    return Job(
        id="j",
        store_id="s",
        capability="list_products",
        params={},
        mode="automated",
        status=JobStatus.RUNNING,
        run_at=0.0,
        created_at=0.0,
        updated_at=0.0,
        **fields,  # type: ignore[arg-type]
    )


def test_bucket_refusals_are_exact_and_bounded() -> None:
    refused = BucketRefused(2.5)
    again = JobRunner._rate_limited(_job(throttled=MAX_THROTTLES - 1), refused, now=100.0)
    assert again.status is JobStatus.QUEUED and again.run_at == 102.5 and again.state is None
    starved = JobRunner._rate_limited(_job(throttled=MAX_THROTTLES), refused, now=100.0)
    assert starved.status is JobStatus.FAILED and starved.error_category == "rate_limit"
    assert f"refused by the store's rate limit {MAX_THROTTLES + 1} times" in (starved.error_message or "")


def test_a_platform_retry_after_longer_than_the_back_off_is_honoured() -> None:
    decision = JobRunner._rate_limited(_job(state={"handle": {"x": 1}}), RateLimited(90.0), now=0.0)
    assert decision.run_at == 90.0
    assert decision.state == {"handle": {"x": 1}, "platform_throttles": 1}  # a polled operation's handle kept


def test_a_calls_retries_are_bounded_across_its_requests() -> None:
    clock = VirtualClock(start=0.0)
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(503)

    policy = RetryPolicy(attempts=4, wait_initial=0.1, wait_jitter=0.0, call_retries=5)
    config = HttpConfig(base_url="https://api.test/", retry=policy)
    limiter = Limiter("store:x", None, MemoryBucketStore(), clock)

    async def call() -> list[int]:
        async with build_client(config, limiter, httpx.MockTransport(handle)) as client:
            with admission.call_scope():
                return [(await client.get(f"page{i}")).status_code for i in range(3)]

    assert clock.run(call()) == [503, 503, 503]
    # The first page spends 3 retries, the second the 2 left, the third none: 3 + 5 requests.
    assert sent == ["/page0"] * 4 + ["/page1"] * 3 + ["/page2"]


def test_a_follow_up_429_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    clock = VirtualClock(start=0.0)
    answers = [200, 429, 429, 429, 200]
    times: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        times.append(clock.now())
        return httpx.Response(answers.pop(0))

    policy = RetryPolicy(attempts=4, wait_initial=1.0, wait_max=30.0, wait_jitter=0.5)
    config = HttpConfig(base_url="https://api.test/", retry=policy)
    limiter = Limiter("store:x", None, MemoryBucketStore(), clock)

    async def call() -> int:
        async with build_client(config, limiter, httpx.MockTransport(handle)) as client:
            with admission.refusing(), admission.call_scope():
                await client.get("first")  # admitted: the call's follow-ups wait out a 429
                return (await client.post("write", json={})).status_code

    assert clock.run(call()) == 200
    waits = [b - a for a, b in itertools.pairwise(times[1:])]
    for n, wait in enumerate(waits):
        assert 2.0**n <= wait <= 2.0**n + 0.5, waits
