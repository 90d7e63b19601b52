"""The worker loop on real time: a running job cancelled through its heartbeat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from runtime_fakes import SLUG, FakePlatform, registry

from fusionhub.jobs import JobStatus, Worker
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub.stores import Store


async def test_cancel_reaches_a_running_job_through_its_heartbeat(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "w.db"))
    await db.ensure_schema()
    runtime = Runtime(db, registry=registry(rate=100), keyring=Keyring([Fernet.generate_key().decode()], "test"))
    fake = FakePlatform(runtime.clock, slow_seconds=30)
    runtime.transport_for = fake.transport
    await runtime.register_plugins()
    store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
    job = await runtime.enqueue(store.id, "get_product", {"product_id": "slow-1"})
    worker = Worker(runtime, concurrency=1, lease_seconds=0.3, idle_nap=0.05)
    serving = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(10):
            while not fake.log:  # noqa: ASYNC110 - the request is on its way: the job is mid-run
                await asyncio.sleep(0.01)
        await runtime.queue.cancel(job.id, now=runtime.clock.now())
        async with asyncio.timeout(5):  # a heartbeat every 0.1 s, not the 30 s request
            while not (current := await runtime.queue.get(job.id)) or not current.finished:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        worker.stop()
        await serving
        await runtime.aclose()
    assert current.status is JobStatus.CANCELLED
    assert worker.stats.cancelled == 1


async def test_jobs_of_one_store_starting_together_build_its_context_once(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "c.db"))
    await db.ensure_schema()
    runtime = Runtime(db, registry=registry(rate=100), keyring=Keyring([Fernet.generate_key().decode()], "test"))
    fake = FakePlatform(runtime.clock)
    built: list[Store] = []

    def transport(store: Store) -> httpx.AsyncBaseTransport:
        built.append(store)
        return fake.transport(store)

    runtime.transport_for = transport
    try:
        await runtime.register_plugins()
        store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
        runtime.forget()
        built.clear()
        contexts = await asyncio.gather(*(runtime.context(store.id) for _ in range(8)))
        assert len(built) == 1 and all(ctx is contexts[0] for ctx in contexts)
    finally:
        await runtime.aclose()


async def test_a_worker_connects_its_stores_before_its_first_claim(tmp_path: Path) -> None:
    """`Worker.prepare` (what `fusionhub worker` does before it serves): every enabled store's
    context is built once, up front; a disabled store is left alone; the jobs then build none."""
    db = Database(sqlite_url(tmp_path / "p.db"))
    await db.ensure_schema()
    runtime = Runtime(db, registry=registry(rate=100), keyring=Keyring([Fernet.generate_key().decode()], "test"))
    fake = FakePlatform(runtime.clock)
    built: list[str] = []

    def transport(store: Store) -> httpx.AsyncBaseTransport:
        built.append(store.name)
        return fake.transport(store)

    runtime.transport_for = transport
    try:
        await runtime.register_plugins()
        stores = [await runtime.stores.add(f"shop-{n}", SLUG, {"api_key": "k"}) for n in range(3)]
        await runtime.stores.set_enabled("shop-2", False)
        worker = Worker(runtime, concurrency=2, idle_nap=0.05)
        assert await worker.prepare() == 2 and sorted(built) == ["shop-0", "shop-1"]
        assert await Worker(runtime).prepare(limit=1) == 1 and len(built) == 2  # kept: nothing rebuilt
        for store in stores[:2]:
            await runtime.enqueue(store.id, "get_product", {"product_id": f"p-{store.name}"})
        await worker.run_until_idle()
        assert worker.stats.succeeded == 2 and sorted(built) == ["shop-0", "shop-1"]
    finally:
        await runtime.aclose()
