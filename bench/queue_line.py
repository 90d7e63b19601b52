"""A claim behind a long line: one store with N queued jobs, one of them running, and one job of
another store. How long does a worker's claim take to find that other job (and, once it is
taken, to find nothing)? This is the cost of a big bulk fanned out into per-item jobs while
every other store waits to be served.

Baseline: the embedded backend on SQLite. Ours: the procrastinate backend on PostgreSQL, where
only each line's head is a procrastinate job (`fusionhub.jobs.pg.runs`). Median of 20 claims.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from cryptography.fernet import Fernet

from bench import Row
from bench.overhead import MANIFEST
from bench.queue_throughput import PG_URL, _drop, _pg_schema, _runtime
from fusionhub.jobs import Decision, JobStatus, NewJob, SqlJobQueue
from fusionhub.storage import sqlite_url


async def _claims(url: str, queued: int) -> float:
    """Median seconds per claim while the long line is busy."""
    runtime = await _runtime(url, "noop")
    big = (await runtime.stores.add("big", MANIFEST["slug"], {"api_key": "bench-key-000000"})).id
    small = (await runtime.stores.add("small", MANIFEST["slug"], {"api_key": "bench-key-000000"})).id
    queue = runtime.queue
    assert isinstance(queue, SqlJobQueue)  # both backends are, and enqueue in bulk
    jobs = [NewJob(store_id=big, capability="get_product", params={"product_id": str(i)}) for i in range(queued)]
    await queue.enqueue_many(jobs, now=runtime.clock.now())
    assert await queue.claim("head", now=runtime.clock.now(), lease_seconds=600) is not None
    times = []
    for _ in range(20):
        await queue.enqueue(NewJob(store_id=small, capability="get_product"), now=runtime.clock.now())
        started = time.perf_counter()
        claimed = await queue.claim("w", now=runtime.clock.now(), lease_seconds=600)
        times.append(time.perf_counter() - started)
        assert claimed is not None and claimed.store_id == small
        await queue.settle(claimed.id, "w", Decision(JobStatus.SUCCEEDED), now=runtime.clock.now())
        started = time.perf_counter()
        assert await queue.claim("w", now=runtime.clock.now(), lease_seconds=600) is None
        times.append(time.perf_counter() - started)
    await runtime.aclose()
    return statistics.median(times)


def _sqlite(queued: int) -> float:
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(_claims(sqlite_url(Path(directory) / "line.db"), queued))


def _postgresql(queued: int) -> float | None:
    schema = asyncio.run(_pg_schema())
    if schema is None:
        return None
    sep = "&" if "?" in PG_URL else "?"
    try:
        return asyncio.run(_claims(f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", queued))
    finally:
        asyncio.run(_drop(schema))


def rows(quick: bool) -> list[Row]:
    os.environ.setdefault("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    out = []
    for queued in (1_000,) if quick else (1_000, 50_000):
        sqlite = _sqlite(queued) * 1000
        pg = _postgresql(queued)
        out.append(
            Row(
                f"queue: claim beside a busy store with {queued:,} queued jobs (ms)",
                sqlite,
                pg * 1000 if pg is not None else float("nan"),
                "ms",
                "median of 40 claims; baseline SQLite, ours PostgreSQL + procrastinate"
                if pg is not None
                else "PostgreSQL unreachable: SQLite only",
            )
        )
    return out
