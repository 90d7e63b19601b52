"""Admission in a worker: a capability call is admitted or refused as a whole, at its first request.

A plugin whose update_product sends three requests (read, write, read back) under a bucket of
one request per second, drained by the worker from the SQLite job queue on a stepping clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from admission_fakes import SLUG, Server, registry
from cryptography.fernet import Fernet
from queue_suite import SteppingClock

from fusionhub.cli import demo
from fusionhub.jobs import JobStatus, Worker
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url

RATE = 1.0  # requests per second: the store's bucket holds one token


@dataclass
class Env:
    runtime: Runtime
    server: Server
    clock: SteppingClock
    store_id: str
    worker: Worker


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    clock = SteppingClock()
    db = Database(sqlite_url(tmp_path / "admission.db"))
    await db.ensure_schema()
    server = Server(clock, RATE)
    keyring = Keyring([Fernet.generate_key().decode()], "test keys")
    runtime = Runtime(db, registry=registry(RATE), clock=clock, keyring=keyring, transport_for=server.transport)
    await runtime.register_plugins()
    store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
    worker = Worker(runtime, concurrency=3, heartbeat=False, lease_seconds=60)
    try:
        yield Env(runtime, server, clock, store.id, worker)
    finally:
        await runtime.aclose()


def _update(pid: str) -> dict[str, object]:
    return {"product_id": pid, "changes": {"title": f"new {pid}"}}


def _spacings(server: Server) -> list[float]:
    times = [t for t, _ in server.accepted]
    return [b - a for a, b in itertools.pairwise(times)]


async def test_a_call_of_three_requests_under_a_one_token_bucket_completes_in_a_worker(env: Env) -> None:
    job = await env.runtime.enqueue(env.store_id, "update_product", _update("p1"))
    async with asyncio.timeout(30):  # before admission, this re-ran from the start forever
        await env.worker.run_until_idle()
    done = await env.runtime.queue.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED, done
    assert done.result["title"] == "new p1"
    assert [what for _, what in env.server.accepted] == ["GET /products/p1", "PATCH /products/p1", "GET /products/p1"]
    assert env.server.throttled == 0 and done.throttled == 0
    assert min(_spacings(env.server)) >= 1.0 / RATE - 1e-6  # the follow-ups waited for their tokens


async def test_concurrent_calls_never_overspend_and_each_runs_once(env: Env) -> None:
    jobs = [await env.runtime.enqueue(env.store_id, "update_product", _update(f"p{i}")) for i in range(3)]
    jobs.append(await env.runtime.enqueue(env.store_id, "list_products", {}))
    async with asyncio.timeout(30):
        await env.worker.run_until_idle()
    finished = [await env.runtime.queue.get(j.id) for j in jobs]
    assert all(j is not None and j.status is JobStatus.SUCCEEDED for j in finished), finished
    # Calls that found the bucket empty were refused before sending and re-scheduled ...
    assert sum(j.throttled for j in finished if j is not None) > 0
    # ... and no call ran twice: three requests per update, one for the listing, no 429.
    assert len(env.server.accepted) == 3 * 3 + 1 and env.server.throttled == 0
    assert sum(what.startswith("PATCH") for _, what in env.server.accepted) == 3
    assert min(_spacings(env.server)) >= 1.0 / RATE - 1e-6
    ctx = await env.runtime.context(env.store_id)
    level = await ctx.limiter.level()
    assert level is not None and level.tokens >= -1e-9


async def test_a_refused_first_request_reschedules_the_job_without_sending(env: Env) -> None:
    ctx = await env.runtime.context(env.store_id)
    await ctx.limiter.acquire()  # someone else spent the token
    job = await env.runtime.enqueue(env.store_id, "update_product", _update("p0"))
    claimed = await env.runtime.queue.claim(env.worker.id, now=env.clock.now(), lease_seconds=60)
    assert claimed is not None and claimed.id == job.id
    await env.worker.process(claimed)
    after = await env.runtime.queue.get(job.id)
    assert after is not None and after.status is JobStatus.QUEUED and after.throttled == 1
    assert after.run_at == pytest.approx(env.clock.now() + 1.0 / RATE, abs=1e-3)
    assert env.server.requests == []


async def test_a_429_on_a_follow_up_write_is_waited_out_not_re_run(env: Env) -> None:
    env.server.throttle("PATCH")  # the platform refuses the write once, asking to wait
    job = await env.runtime.enqueue(env.store_id, "update_product", _update("p2"))
    await env.worker.run_until_idle()
    done = await env.runtime.queue.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.throttled == 0
    methods = [r.method for r in env.server.requests]
    assert methods == ["GET", "PATCH", "PATCH", "GET"]  # the write was sent again; the read was not repeated


async def test_demo_of_a_plugin_that_reads_then_writes_finishes(tmp_path: Path) -> None:
    """An outside plugin that fetches a page and then writes used to hang `fusionhub demo` for 3 minutes."""
    async with asyncio.timeout(60):
        (run,) = await demo._demo(registry(20.0), tmp_path)
    assert run.error is None, run.error
    steps = {s.name: s for s in run.steps}
    assert steps["product sync"].status == "succeeded"
    assert steps["bulk update"].status == "succeeded" and steps["bulk update"].summary == "3/3 items updated"
    # (On the wall clock a busy machine may deliver two requests closer than they were sent;
    # the fake's 429 is then waited out like any other: spacing is checked on virtual time above.)


async def test_a_demo_step_that_times_out_says_what_timed_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "STEP_TIMEOUT", 0.0)
    (run,) = await demo._demo(registry(20.0), tmp_path)
    assert run.error is not None
    assert run.error.startswith("TimeoutError: the worker did not finish the list_products job")
    assert "within 0 s" in run.error


@pytest.mark.parametrize(("patience", "waits"), [(0.0, False), (0.5, False), (1.0, True)])
async def test_a_first_request_waits_in_its_slot_only_within_the_workers_patience(
    env: Env, patience: float, waits: bool
) -> None:
    ctx = await env.runtime.context(env.store_id)
    await ctx.limiter.acquire()  # someone else spent the token: the next comes in 1 / RATE = 1 s
    job = await env.runtime.enqueue(env.store_id, "update_product", _update("p1"))
    worker = Worker(env.runtime, concurrency=1, heartbeat=False, lease_seconds=60, rate_patience=patience)
    claimed = await env.runtime.queue.claim(worker.id, now=env.clock.now(), lease_seconds=60)
    assert claimed is not None and claimed.id == job.id
    started = env.clock.now()
    await worker.process(claimed)
    after = await env.runtime.queue.get(job.id)
    assert after is not None
    if waits:  # waited the second out in place, then ran: never re-scheduled
        assert after.status is JobStatus.SUCCEEDED and after.throttled == 0, after
        assert env.server.accepted[0][0] == pytest.approx(started + 1.0 / RATE, abs=1e-3)
    else:  # a longer wait than the patience: refused before sending, re-scheduled at the refill
        assert after.status is JobStatus.QUEUED and after.throttled == 1, after
        assert after.run_at == pytest.approx(started + 1.0 / RATE, abs=1e-3)
        assert env.server.requests == []


def test_patience_is_never_negative(env: Env) -> None:
    with pytest.raises(ValueError, match="rate_patience"):
        Worker(env.runtime, rate_patience=-1)
