"""`fusionhub db upgrade` and `fusionhub worker` pointed at PostgreSQL, as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from runtime_db import PG_URL, _drop, _pg_schema

from fusionhub.jobs import JobStatus
from fusionhub.jobs.model import NewJob
from fusionhub.jobs.pg import ProcrastinateJobQueue
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database
from fusionhub.storage.migrate import head

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_url() -> AsyncIterator[tuple[str, str]]:
    db, schema = await _pg_schema()
    await db.aclose()
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", schema
    finally:
        await _drop(schema)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "fusionhub.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)  # noqa: S603


def _start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "fusionhub.cli", "worker", "--no-events"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # noqa: S603


async def test_db_upgrade_migrates_postgresql_and_installs_procrastinate(pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    first = _cli("db", "upgrade", "--database", url, "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    report = json.loads(first.stdout)
    assert report["from"] is None and report["to"] == report["head"] == head()
    again = _cli("db", "upgrade", "--database", url, "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["from"] == head()
    db = Database(PG_URL, schema=schema)
    async with db.read() as conn:
        tables = {
            r[0]
            for r in await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})
        }
    await db.aclose()
    assert {"jobs", "rate_buckets", "procrastinate_jobs", "procrastinate_workers"} <= tables


async def test_fusionhub_worker_runs_postgresql_jobs_and_stops_on_sigterm(
    pg_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = pg_url
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", key)
    runtime = await Runtime.open(url, keyring=Keyring.load())
    assert isinstance(runtime.queue, ProcrastinateJobQueue)
    # The installed example plugin, and a capability it does not support: the job needs no
    # network, and the worker still claims, runs (gate refuses, no I/O) and settles it.
    if "example" not in runtime.hub.registry.platforms:
        await runtime.aclose()
        pytest.skip("the example fixture plugin is not installed")
    store = await runtime.stores.add(
        "cli-shop", "example", {"access_token": "exk_test"}, {"base_url": "https://example.invalid"}
    )
    manifest = runtime.hub.manifest("example")
    unsupported = next(c for c in manifest.capabilities if manifest.contract(c).level.value == "unsupported")
    # Saved as it is (Runtime.enqueue refuses an unsupported capability): it fails at once when run.
    job = await runtime.queue.enqueue(
        NewJob(store_id=store.id, capability=unsupported.value, params={}, mode="automated"), now=runtime.clock.now()
    )
    await runtime.aclose()

    env = {**os.environ, "FUSIONHUB_SECRET_KEYS": key, "FUSIONHUB_DATABASE_URL": url}
    worker = _start_worker(env)
    runtime = await Runtime.open(url, keyring=Keyring.load())
    try:
        deadline = time.monotonic() + 60
        done = await runtime.queue.get(job.id)
        while done is not None and not done.finished and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            done = await runtime.queue.get(job.id)
    finally:
        await runtime.aclose()
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=60)
    assert done is not None and done.status is JobStatus.FAILED and done.error_category == "unsupported"
    assert worker.returncode == 0, err[-2000:]
    assert "jobs through ProcrastinateJobQueue" in err and "stopped: 1 runs" in err
