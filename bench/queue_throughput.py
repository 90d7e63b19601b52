"""Job-queue throughput: jobs per second through each backend, 1 and 4 worker processes.

Two capabilities: a no-op (the plugin's hook returns a product at once: claim, run and
settle are all that is measured, plus the store look-up) and a sandbox call (`get_product`
through the whole HTTP pipeline, auth and a database bucket acquire, to an in-process
MockTransport: `bench.overhead`'s plugin). Its limit never binds: the queue is measured.
Jobs are spread over 20 stores and enqueued before the workers start; each worker process
runs 4 slots; all start together once every process is ready (start-up is not measured),
and the figure is jobs / (last process done - start), best of three fresh databases.
SQLite is a file in a temporary directory; PostgreSQL is FUSIONHUB_TEST_POSTGRES_URL
(default: the local test server) in a throw-away schema.

Worker processes run this module: `python -m bench.queue_throughput worker URL KIND`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from cryptography.fernet import Fernet

from bench import Row
from bench.overhead import BODY, MANIFEST, BenchPlugin
from fusionhub import hookimpl
from fusionhub.context import StoreContext
from fusionhub.jobs import Worker
from fusionhub.models import Product
from fusionhub.observability import configure_logging
from fusionhub.params import GetProductParams
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url

PG_URL = os.environ.get("FUSIONHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STORES = 20
OPEN = ("queued", "running", "waiting")


class NoopPlugin(BenchPlugin):
    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: GetProductParams) -> Product:
        return Product(id=params.product_id, platform="benchshop", title="Mug")


def _registry(kind: str) -> Registry:
    registry = Registry(allow=None, deny=())
    registry.add(NoopPlugin() if kind == "noop" else BenchPlugin(), MANIFEST["slug"])
    return registry


async def _runtime(url: str, kind: str) -> Runtime:
    import httpx

    runtime = await Runtime.open(url, registry=_registry(kind), keyring=Keyring.load())
    runtime.transport_for = lambda store: httpx.MockTransport(lambda request: httpx.Response(200, json=BODY))
    return runtime


async def _worker(url: str, kind: str) -> None:
    """One worker process: says ready, waits for "go", runs 4 slots until the queue is empty."""
    configure_logging("json", level="WARNING", stream=sys.stderr)
    runtime = await _runtime(url, kind)
    worker = Worker(runtime, concurrency=4, idle_nap=0.02)
    await worker.prepare()  # as `fusionhub worker` does before it serves: start-up is not measured
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "go": every process starts at once

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.05)
            counts = await runtime.queue.counts()
            if not any(counts.get(status) for status in OPEN):
                worker.stop()
                return

    watcher = asyncio.create_task(watch())
    stats = await worker.run()
    watcher.cancel()
    print(json.dumps({"done": time.time(), "runs": stats.runs}), flush=True)
    await runtime.aclose()


async def _enqueue(url: str, kind: str, jobs: int) -> None:
    runtime = await _runtime(url, kind)
    stores = [
        (await runtime.stores.add(f"bench-{i:02d}", MANIFEST["slug"], {"api_key": "bench-key-000000"})).id
        for i in range(STORES)
    ]
    for start in range(0, jobs, STORES):
        batch = [
            runtime.enqueue(stores[i % STORES], "get_product", {"product_id": str(i)})
            for i in range(start, min(jobs, start + STORES))
        ]
        await asyncio.gather(*batch)
    await runtime.aclose()


def _drain(url: str, kind: str, jobs: int, processes: int) -> float:
    asyncio.run(_enqueue(url, kind, jobs))
    command = [sys.executable, "-m", "bench.queue_throughput", "worker", url, kind]
    pipe = subprocess.PIPE
    workers = [
        subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=pipe, text=True)  # noqa: S603
        for _ in range(processes)
    ]
    for worker in workers:  # start-up (imports, connections) is not measured
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    started = time.time()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=1800)
        if worker.returncode != 0:
            raise RuntimeError(f"bench worker failed: {err[-1000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["runs"] for r in reports) >= jobs
    return jobs / (float(max(r["done"] for r in reports)) - started)


async def _pg_schema() -> str | None:
    schema = f"fh_bench_{uuid.uuid4().hex[:10]}"
    admin = Database(PG_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception:  # no server: the PostgreSQL figures are left out
        return None
    finally:
        await admin.aclose()
    return schema


async def _drop(schema: str) -> None:
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.aclose()


def _measure(backend: str, kind: str, jobs: int, processes: int) -> float | None:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            return _drain(sqlite_url(Path(directory) / "bench.db"), kind, jobs, processes)
    schema = asyncio.run(_pg_schema())
    if schema is None:
        return None
    sep = "&" if "?" in PG_URL else "?"
    try:
        return _drain(f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", kind, jobs, processes)
    finally:
        asyncio.run(_drop(schema))


def _best(backend: str, kind: str, jobs: int, processes: int, runs: int) -> float | None:
    """Best of `runs` fresh databases: the machine's other load only ever slows a run down."""
    figures = [_measure(backend, kind, jobs, processes) for _ in range(runs)]
    measured = [f for f in figures if f is not None]
    return max(measured) if measured else None


def rows(quick: bool) -> list[Row]:
    os.environ.setdefault("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    jobs, runs = (100, 1) if quick else (200, 3)
    out = []
    for kind, label in (("noop", "no-op capability"), ("sandbox", "sandbox get_product")):
        for processes in (1, 4):
            sqlite = _best("sqlite", kind, jobs, processes, runs)
            pg = _best("postgresql", kind, jobs, processes, runs)
            assert sqlite is not None
            note = f"{jobs} jobs, {STORES} stores, 4 slots/process, best of {runs}; baseline SQLite, ours PostgreSQL"
            out.append(
                Row(
                    f"queue: {label}, {processes} worker process{'es' if processes > 1 else ''} (jobs/s)",
                    sqlite,
                    pg if pg is not None else float("nan"),
                    "jobs/s",
                    note if pg is not None else "PostgreSQL unreachable: SQLite only",
                )
            )
    return out


def _main(argv: list[str]) -> Any:
    if len(argv) == 3 and argv[0] == "worker":
        return asyncio.run(_worker(argv[1], argv[2]))
    raise SystemExit("usage: python -m bench.queue_throughput worker URL noop|sandbox  (then 'go' on stdin)")


if __name__ == "__main__":
    _main(sys.argv[1:])
