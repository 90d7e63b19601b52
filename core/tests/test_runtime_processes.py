"""Several worker processes on one SQLite file; a worker killed with SIGKILL; credentials on disk."""

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
from cryptography.fernet import Fernet
from runtime_fakes import SLUG, registry

from fusionhub.jobs import JobStatus, NewJob, SqlJobQueue
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import sqlite_url

WORKER = Path(__file__).parent / "runtime_worker_main.py"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", key)
    return key


async def _prepare(url: str, stores: int, jobs_per_store: int, rate: float, product: str = "item") -> list[str]:
    runtime = await Runtime.open(url, registry=registry(rate=rate), keyring=Keyring.load())
    new = []
    for s in range(stores):
        store = await runtime.stores.add(f"store-{s:02d}", SLUG, {"api_key": f"secret-{s}"})
        new += [NewJob(store.id, "get_product", {"product_id": f"{product}-{s}-{j}"}) for j in range(jobs_per_store)]
    assert isinstance(runtime.queue, SqlJobQueue)
    ids = await runtime.queue.enqueue_many(new, now=runtime.clock.now())
    await runtime.aclose()
    return ids


async def _counts(url: str) -> dict[str, int]:
    runtime = await Runtime.open(url, registry=registry(), keyring=Keyring.load())
    counts = await runtime.queue.counts()
    await runtime.aclose()
    return counts


async def _statuses(url: str, ids: list[str]) -> list[JobStatus | None]:
    runtime = await Runtime.open(url, registry=registry(), keyring=Keyring.load())
    jobs = [await runtime.queue.get(i) for i in ids]
    await runtime.aclose()
    return [j.status if j else None for j in jobs]


def _spawn(url: str, log: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own worker script
        [sys.executable, str(WORKER), url, str(log), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _files_starting(directory: Path, prefix: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.name.startswith(prefix)}


def _requests(log: Path) -> list[tuple[float, str, str, str]]:
    if not log.exists():
        return []
    return [tuple(json.loads(line)) for line in log.read_text().splitlines()]  # type: ignore[misc]


@pytest.mark.slow
def test_four_workers_drain_2000_rate_limited_jobs_of_20_stores(tmp_path: Path, keys: str) -> None:
    # 4 requests/s per store: every store's budget binds (80/s in all is more than the workers could do).
    url, log, rate = sqlite_url(tmp_path / "shared.db"), tmp_path / "requests.log", 4.0
    ids = asyncio.run(_prepare(url, stores=20, jobs_per_store=100, rate=rate))
    started = time.monotonic()
    workers = [_spawn(url, log, "--rate", str(rate), "--concurrency", "2") for _ in range(4)]
    outputs = [w.communicate(timeout=600) for w in workers]
    elapsed = time.monotonic() - started
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
        assert "database is locked" not in err + out
        assert "done runs=" in out

    counts = asyncio.run(_counts(url))
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
        # A bucket of 1 refilled at 20/s allows at most 1 + 20·w requests in any w seconds.
        for i, start in enumerate(times):
            in_window = sum(1 for t in times[i:] if t < start + 2.0)
            # +2: the log's timestamp is taken after the acquire, on a machine that may be busy.
            assert in_window <= 1 + 2 * rate + 2, in_window
        assert times[-1] - times[0] >= (len(times) - 1) / rate * 0.9
    print(f"\n4 workers, 2000 jobs, 20 stores at {rate:g}/s each: {elapsed:.1f} s")


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing(tmp_path: Path, keys: str) -> None:
    url, log = sqlite_url(tmp_path / "kill.db"), tmp_path / "requests.log"
    ids = asyncio.run(_prepare(url, stores=3, jobs_per_store=1, rate=1000, product="slow"))
    victim = _spawn(url, log, "--concurrency", "3", "--lease", "2", "--slow", "30")
    deadline = time.monotonic() + 20
    while len(_requests(log)) < 3 and time.monotonic() < deadline:  # all three jobs are mid-request
        time.sleep(0.05)
    assert len(_requests(log)) == 3
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    rescuer = _spawn(url, log, "--concurrency", "3", "--lease", "2", "--slow", "0")
    _, err = rescuer.communicate(timeout=60)
    assert rescuer.returncode == 0, err[-2000:]
    statuses = asyncio.run(_statuses(url, ids))
    assert statuses == [JobStatus.SUCCEEDED] * 3
    paths = Counter(path for *_, path in _requests(log))
    assert set(paths.values()) == {2}  # each started once by the victim, finished once by the rescuer


async def test_a_canary_credential_is_not_in_the_sqlite_files(tmp_path: Path, keys: str) -> None:
    canary = "canary-9f3b2c7d1e"
    path = tmp_path / "canary.db"
    runtime = await Runtime.open(sqlite_url(path), registry=registry(), keyring=Keyring.load())
    await runtime.stores.add("shop", SLUG, {"api_key": canary})
    await runtime.stores.update_credentials("shop", {"api_key": canary + "-rotated"})
    assert (await runtime.stores.load("shop")).credentials["api_key"] == canary + "-rotated"
    await runtime.aclose()
    contents = await asyncio.to_thread(_files_starting, tmp_path, "canary.db")
    assert len(contents) >= 2  # the database and its WAL (shared memory too, while open)
    for name, data in contents.items():
        assert canary.encode() not in data, name
