"""Worker processes on one PostgreSQL database: a rate-limited drain of many stores, and a SIGKILL.

The processes are the runtime's own test worker (`runtime_worker_main.py`), given a
PostgreSQL URL whose search_path points at this test's schema. They run on the wall clock,
so the PostgreSQL backend times jobs and buckets by the database's clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from runtime_fakes import SLUG, registry

from fusionhub.jobs import JobStatus
from fusionhub.jobs.pg import ProcrastinateJobQueue
from fusionhub.ratelimit.pg_store import PgBucketStore
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring

pytestmark = pytest.mark.postgres

WORKER = Path(__file__).parent / "pg_worker_main.py"
LOG_JITTER = 0.5  # seconds between a request's acquire and its log line, at most


async def _open(url: str, rate: float = 2) -> Runtime:
    return await Runtime.open(url, registry=registry(rate=rate), keyring=Keyring.load())


async def _prepare(url: str, stores: int, per_store: int, rate: float, product: str = "item") -> list[str]:
    runtime = await _open(url, rate)
    assert isinstance(runtime.queue, ProcrastinateJobQueue) and isinstance(runtime.buckets, PgBucketStore)
    shops = [(await runtime.stores.add(f"store-{s:02d}", SLUG, {"api_key": f"secret-{s}"})).id for s in range(stores)]
    ids = []
    for j in range(per_store):  # one job per store at a time, concurrently
        jobs = [
            runtime.enqueue(shop, "get_product", {"product_id": f"{product}-{s}-{j}"}) for s, shop in enumerate(shops)
        ]
        ids += [job.id for job in await asyncio.gather(*jobs)]
    await runtime.aclose()
    return ids


def _spawn(url: str, log: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(WORKER), url, str(log), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _requests(log: Path) -> list[tuple[float, str, str, str]]:
    if not log.exists():
        return []
    return [tuple(json.loads(line)) for line in log.read_text().splitlines()]


def _wait_for_requests(log: Path, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while len(_requests(log)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(_requests(log))


def _worst_excess(times: list[float], capacity: float, rate: float) -> float:
    """Replay a token bucket over the request times: how far below zero it was ever driven."""
    tokens, last, worst = capacity, times[0], 0.0
    for at in times:
        tokens = min(capacity, tokens + (at - last) * rate) - 1
        last = at
        worst = min(worst, tokens)
    return -worst


@pytest.mark.slow
async def test_four_workers_drain_2000_rate_limited_jobs_of_20_stores(
    pg_process_db_url: str, tmp_path: Path, secret_keys: str
) -> None:
    log, rate = tmp_path / "requests.log", 10.0
    ids = await _prepare(pg_process_db_url, stores=20, per_store=100, rate=rate)
    started = time.monotonic()
    workers = [_spawn(pg_process_db_url, log, "--rate", str(rate), "--concurrency", "4") for _ in range(4)]
    outputs = [w.communicate(timeout=900) for w in workers]
    elapsed = time.monotonic() - started
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
        assert "done runs=" in out
    runs = [int(out.split("runs=")[1].split()[0]) for out, _ in outputs]
    assert sum(1 for r in runs if r > 0) >= 2  # the work was shared, not drained by one process

    runtime = await _open(pg_process_db_url, rate)
    counts = await runtime.queue.counts()
    await runtime.aclose()
    assert counts == {JobStatus.SUCCEEDED.value: 2000}, counts

    requests = _requests(log)
    paths = Counter(path for *_, path in requests)
    assert len(paths) == len(ids) == 2000 and set(paths.values()) == {1}  # none lost, none run twice
    by_store: dict[str, list[float]] = defaultdict(list)
    for at, store, _, _ in requests:
        by_store[store].append(at)
    assert len(by_store) == 20
    for times in by_store.values():
        times.sort()
        # A bucket of 1 at 10/s. The fake logs a request some time after its acquire (on a busy
        # machine, up to a few hundred ms): that much slack, and no more, is allowed. Budgets
        # kept per process would overshoot by about the number of processes times the rate.
        assert _worst_excess(times, 1, rate) <= rate * LOG_JITTER
        assert times[-1] - times[0] >= (len(times) - 1) / rate * 0.95
    print(f"\nPostgreSQL: 4 workers, 2000 jobs, 20 stores at {rate:g}/s each: {elapsed:.1f} s")


@pytest.mark.slow
async def test_a_worker_killed_mid_job_loses_nothing(pg_process_db_url: str, tmp_path: Path, secret_keys: str) -> None:
    log = tmp_path / "requests.log"
    ids = await _prepare(pg_process_db_url, stores=3, per_store=1, rate=1000, product="slow")  # a store runs 2 at once
    victim = _spawn(pg_process_db_url, log, "--concurrency", "3", "--lease", "5", "--slow", "60")
    assert _wait_for_requests(log, 3, timeout=60) == 3  # all three jobs are mid-request
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    started = sorted(path for *_, path in _requests(log))
    assert len(set(started)) == 3, started

    rescuer = _spawn(pg_process_db_url, log, "--concurrency", "3", "--lease", "5", "--slow", "0")
    _out, err = rescuer.communicate(timeout=60)
    assert rescuer.returncode == 0, err[-2000:]
    runtime = await _open(pg_process_db_url)
    jobs = [await runtime.queue.get(i) for i in ids]
    await runtime.aclose()
    assert all(j is not None and j.status is JobStatus.SUCCEEDED for j in jobs)
    paths = Counter(path for *_, path in _requests(log))
    assert set(paths.values()) == {2}, paths  # each started once by the victim, finished once by the rescuer
