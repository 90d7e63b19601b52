"""Workers tell observer plugins each job run's outcome and the queue's depth (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture
from runtime_fakes import SLUG, FakePlatform, registry

from fusionhub.jobs import Worker
from fusionhub.observability.jobs import count_queue
from fusionhub.plugin import JobSettled, QueueDepth, hookimpl
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database

HOUR = 3600.0


class Listener:
    def __init__(self) -> None:
        self.settled: list[JobSettled] = []
        self.depths: list[QueueDepth] = []

    @hookimpl
    def fusionhub_on_job_settled(self, job: JobSettled) -> None:
        self.settled.append(job)

    @hookimpl
    def fusionhub_on_queue_depth(self, depth: QueueDepth) -> None:
        self.depths.append(depth)


class Broken:
    @hookimpl
    def fusionhub_on_job_settled(self, job: JobSettled) -> None:
        raise RuntimeError("an observer's bug")


async def _runtime(db: Database) -> tuple[Runtime, FakePlatform]:
    runtime = Runtime(db, registry=registry(rate=100), keyring=Keyring([Fernet.generate_key().decode()], "test"))
    fake = FakePlatform(runtime.clock)
    runtime.transport_for = fake.transport
    await runtime.register_plugins()
    return runtime, fake


async def test_the_queue_is_counted_by_platform_store_and_state(database: Database) -> None:  # noqa: F811
    runtime, _ = await _runtime(database)
    try:
        a = await runtime.stores.add("shop-a", SLUG, {"api_key": "k"})
        b = await runtime.stores.add("shop-b", SLUG, {"api_key": "k"})
        now = runtime.clock.now()
        for _ in range(3):
            await runtime.enqueue(a.id, "list_products", {"limit": 2})
        await runtime.enqueue(a.id, "list_products", {"limit": 2}, run_at=now + HOUR)  # not due yet
        await runtime.enqueue(b.id, "get_product", {"product_id": "p1"}, run_at=now + HOUR)
        depth = await count_queue(runtime.db, runtime.clock.now())
        counts = {(c.store_id, c.state): (c.jobs, c.due) for c in depth.counts}
        assert counts == {(a.id, "queued"): (4, 3), (b.id, "queued"): (1, 0)}
        assert {c.platform for c in depth.counts} == {SLUG} and depth.total("queued") == 5
    finally:
        await runtime.aclose()


async def test_a_worker_tells_each_runs_outcome_and_samples_the_queue(database: Database) -> None:  # noqa: F811
    runtime, _ = await _runtime(database)
    listener = Listener()
    runtime.hub.registry.pm.register(listener, "listener")
    runtime.hub.registry.pm.register(Broken(), "broken")  # must not break the worker or the other observer
    try:
        store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
        # Its own store, so its own bucket (1 request per 10 ms): run right after the first job, it
        # would otherwise be refused by the bucket once, and re-scheduled, before its 422.
        other = await runtime.stores.add("shop-2", SLUG, {"api_key": "k"})
        ok = await runtime.enqueue(store.id, "list_products", {"limit": 2})
        refused = await runtime.enqueue(other.id, "get_product", {"product_id": "bad-1"})  # a 422
        later = await runtime.enqueue(store.id, "list_products", {"limit": 1}, run_at=runtime.clock.now() + HOUR)
        worker = Worker(runtime, concurrency=1, idle_nap=0.05, queue_depth_every=0.05)
        serving = asyncio.create_task(worker.run())
        try:
            async with asyncio.timeout(20):
                while len(listener.settled) < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                before = len(listener.depths)
                while len(listener.depths) < before + 2:  # noqa: ASYNC110 - the second one began after both runs
                    await asyncio.sleep(0.02)
        finally:
            worker.stop()
            await serving
    finally:
        await runtime.aclose()
    by_job = {s.job_id: s for s in listener.settled}
    assert set(by_job) == {ok.id, refused.id}  # the later job was not run
    assert (by_job[ok.id].outcome, by_job[ok.id].error_category) == ("succeeded", None)
    assert (by_job[refused.id].outcome, by_job[refused.id].error_category) == ("failed", "validation")
    assert (by_job[ok.id].store_id, by_job[refused.id].store_id) == (store.id, other.id)
    assert all((s.platform, s.mode) == (SLUG, "automated") for s in listener.settled)
    assert all(s.duration_ms >= 0 and not s.item and s.finished for s in listener.settled)
    last = listener.depths[-1]
    assert [(c.store_id, c.state, c.jobs, c.due) for c in last.counts] == [(store.id, "queued", 1, 0)], last
    assert later.id not in by_job


async def test_without_a_listener_the_worker_never_counts_the_queue(
    database: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, _ = await _runtime(database)
    counted: list[float] = []

    async def counting(db: Database, now: float) -> QueueDepth:  # a spy around the real count
        counted.append(now)
        return await count_queue(db, now)

    monkeypatch.setattr("fusionhub.observability.jobs.count_queue", counting)
    try:
        store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
        await runtime.enqueue(store.id, "list_products", {"limit": 2})
        worker = Worker(runtime, concurrency=1, idle_nap=0.05, queue_depth_every=0.01)
        serving = asyncio.create_task(worker.run())
        await asyncio.sleep(0.3)
        worker.stop()
        await serving
    finally:
        await runtime.aclose()
    assert worker.stats.succeeded == 1 and counted == []
