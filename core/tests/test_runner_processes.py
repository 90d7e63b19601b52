"""A SIGKILLed worker's jobs are taken by another worker within seconds, on both backends;
a live worker keeps its long jobs (its heartbeat renews the lease), so nothing runs twice.

Real processes (`runtime_worker_main.py`) on the wall clock, with the worker's default lease.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from runtime_fakes import SLUG, registry

from fusionhub.jobs import JobStatus
from fusionhub.jobs.worker import DEFAULT_LEASE_SECONDS
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring

WORKER = Path(__file__).parent / "runtime_worker_main.py"
SLOW = 2.5 * DEFAULT_LEASE_SECONDS  # a job that outlives its lease twice over: renewed, never taken
TAKEOVER = DEFAULT_LEASE_SECONDS + 3.0  # the lease, a heartbeat's slack, a claim on a busy machine


async def _prepare(url: str, stores: int) -> list[str]:
    runtime = await Runtime.open(url, registry=registry(rate=1000), keyring=Keyring.load())
    ids = []
    for s in range(stores):
        store = await runtime.stores.add(f"store-{s}", SLUG, {"api_key": f"secret-{s}"})
        ids.append((await runtime.enqueue(store.id, "get_product", {"product_id": f"slow-{s}"})).id)
    await runtime.aclose()
    return ids


async def _statuses(url: str, ids: list[str]) -> list[JobStatus | None]:
    runtime = await Runtime.open(url, registry=registry(), keyring=Keyring.load())
    jobs = [await runtime.queue.get(i) for i in ids]
    await runtime.aclose()
    return [j.status if j else None for j in jobs]


def _spawn(url: str, log: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(WORKER), url, str(log), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _paths(log: Path) -> list[str]:
    return [json.loads(line)[3] for line in log.read_text().splitlines()] if log.exists() else []


def _wait_for(log: Path, count: int, timeout: float) -> float:
    """Seconds until `log` holds `count` requests (the test fails if it never does)."""
    started = time.monotonic()
    while len(_paths(log)) < count:
        assert time.monotonic() - started < timeout, _paths(log)
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.mark.slow
async def test_a_killed_workers_jobs_move_within_seconds_and_a_live_ones_stay(
    process_db_url: str, tmp_path: Path, secret_keys: str
) -> None:
    log = tmp_path / "requests.log"
    ids = await _prepare(process_db_url, stores=2)
    victim = _spawn(process_db_url, log, "--concurrency", "2", "--slow", str(SLOW))
    rescuer = None
    try:
        await asyncio.to_thread(_wait_for, log, 2, 60)  # both jobs are mid-request in the victim
        rescuer = _spawn(process_db_url, log, "--concurrency", "2", "--slow", "0")
        # Well past the lease, the victim is alive and renewing: the rescuer takes nothing.
        await asyncio.sleep(1.5 * DEFAULT_LEASE_SECONDS)
        assert sorted(_paths(log)) == ["/products/slow-0", "/products/slow-1"]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        took = await asyncio.to_thread(_wait_for, log, 4, 60)
        assert took <= TAKEOVER, f"the dead worker's jobs waited {took:.1f} s"
        _out, err = await asyncio.to_thread(rescuer.communicate, timeout=60)
        assert rescuer.returncode == 0, err[-2000:]
    finally:
        for process in (victim, rescuer):
            if process is not None and process.poll() is None:
                process.kill()
    assert await _statuses(process_db_url, ids) == [JobStatus.SUCCEEDED] * 2
    # Each job started once by the victim and finished once by the rescuer: no other run.
    assert Counter(_paths(log)) == {"/products/slow-0": 2, "/products/slow-1": 2}
