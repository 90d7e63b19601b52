"""The worker loop on real time: a running job cancelled through its heartbeat."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from runtime_fakes import SLUG, FakePlatform, registry

from fusionhub.jobs import JobStatus, Worker
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub.stores import Store


async def _runtime(path: Path) -> Runtime:
    """A runtime on a new SQLite file, with the fake platform's plugin at 100 requests a second."""
    db = Database(sqlite_url(path))
    await db.ensure_schema()
    return Runtime(db, registry=registry(rate=100), keyring=Keyring([Fernet.generate_key().decode()], "test"))


async def test_cancel_reaches_a_running_job_through_its_heartbeat(tmp_path: Path) -> None:
    runtime = await _runtime(tmp_path / "w.db")
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
    runtime = await _runtime(tmp_path / "c.db")
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
    runtime = await _runtime(tmp_path / "p.db")
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


class _Outage:
    """A queue whose turns after the first `after` raise `error` `fail` times, then answer."""

    def __init__(self, queue: Any, fail: int, error: BaseException, after: int = 0) -> None:
        self.queue, self.fail, self.error, self.after, self.turns = queue, fail, error, after, 0
        self.settles_seen: list[int] = []

    async def exchange(self, *args: Any, **kwargs: Any) -> Any:
        self.turns += 1
        self.settles_seen.append(len(args[1]))
        if self.turns > self.after and self.fail:
            self.fail -= 1
            raise self.error
        return await self.queue.exchange(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


async def test_a_worker_waits_out_a_database_it_cannot_reach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn that cannot reach the database is tried again after a back-off, the runs that ended
    kept in hand; an error that says a statement was wrong ends the worker, as before."""
    import sqlalchemy.exc

    from fusionhub.jobs import worker as worker_module

    monkeypatch.setattr(worker_module, "OUTAGE_WAIT_FIRST", 0.01)
    runtime = await _runtime(tmp_path / "o.db")
    runtime.transport_for = FakePlatform(runtime.clock).transport
    try:
        await runtime.register_plugins()
        store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
        job = await runtime.enqueue(store.id, "get_product", {"product_id": "p-1"})
        down = sqlalchemy.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("the server restarts"))
        queue = _Outage(runtime.queue, fail=3, error=down, after=1)  # the claim goes through; its settle waits
        worker = Worker(runtime, queue=queue, concurrency=1, idle_nap=0.02)  # type: ignore[arg-type]
        serving = asyncio.create_task(worker.run())
        async with asyncio.timeout(10):
            while not (current := await runtime.queue.get(job.id)) or not current.finished:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        worker.stop()
        await asyncio.wait_for(serving, 5)
        assert current.status is JobStatus.SUCCEEDED and worker.stats.succeeded == 1
        assert queue.settles_seen[:5] == [0, 1, 1, 1, 1]  # the ended run kept in hand, settled by the 5th turn

        wrong = Worker(runtime, queue=_Outage(runtime.queue, fail=1, error=ValueError("a bug")))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="a bug"):
            await asyncio.wait_for(wrong.run(), 5)
    finally:
        await runtime.aclose()
