"""kill -9 a worker in the middle of a write, on both backends: the write takes effect once.

One sandbox (the example plugin's) runs as a server process that every process shares. The
sandbox applies the write and holds its answer back; the worker is SIGKILLed while it waits;
a second worker takes the job when the lease runs out and runs it again. Creating reconciles
(the example API takes no idempotency key: the product is found by its SKU), updating and
setting stock are natural (the same state again).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.fernet import Fernet
from runtime_db import PG_URL, _drop, _pg_schema

from fusionhub import Capability, Registry
from fusionhub.jobs import JobStatus
from fusionhub.runtime import Runtime
from fusionhub.sandbox import SANDBOX_ACCESS_TOKEN
from fusionhub.sandbox.server import forwarding
from fusionhub.secrets import Keyring
from fusionhub.storage import sqlite_url

pytestmark = pytest.mark.slow

SKU = "KILL-9"
API = "https://shop.example.test/v1"
STOCKED = "EX-1-S"  # a SKU the example sandbox starts with


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "fusionhub.sandbox.server", "example"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[1]  # "listening http://127.0.0.1:PORT"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "hub.db")
        return
    db, schema = await _pg_schema()
    await db.aclose()
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        await _drop(schema)


def _worker(db_url: str, sandbox_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FUSIONHUB_SANDBOX": sandbox_url}
    command = ["fusionhub", "worker", "--database", db_url, "--lease", "2", "--concurrency", "1", "--no-events"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


async def _sent(control: httpx.AsyncClient, method: str, path: str) -> int:
    log = (await control.get("/_sandbox/requests")).json()["requests"]
    return sum(1 for r in log if r["method"] == method and httpx.URL(r["url"]).path == path)


async def _until(check: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


CASES = {
    "create": (
        Capability.CREATE_PRODUCT,
        "POST /products",
        lambda pid: {
            "product": {"title": "Kill mug", "variants": [{"sku": SKU, "price": {"amount": "9", "currency": "EUR"}}]}
        },
    ),
    "update": (
        Capability.UPDATE_PRODUCT,
        "PATCH /products/{id}",
        lambda pid: {"product_id": pid, "changes": {"title": "After"}},
    ),
    "inventory": (
        Capability.UPDATE_VARIANT_INVENTORY,
        "PUT /stock/{code}",
        lambda pid: {"target": {"sku": STOCKED, "quantity": 41}},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_worker_killed_mid_write_its_write_takes_effect_once(
    case: str, keys: None, sandbox_url: str, db_url: str
) -> None:
    capability, route, make_params = CASES[case]
    registry = Registry.discover()
    runtime = await Runtime.open(
        db_url, registry=registry, keyring=Keyring.load(), transport_for=lambda store: forwarding(sandbox_url)
    )
    control = httpx.AsyncClient(base_url=sandbox_url)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        store = await runtime.stores.add("shop", "example", {"access_token": SANDBOX_ACCESS_TOKEN}, {"base_url": API})
        first = (await runtime.execute(store.id, Capability.LIST_PRODUCTS, {"limit": 1})).value.items[0]
        params = make_params(first.id)
        path = "/v1" + route.split()[1].replace("{id}", first.id).replace("{code}", STOCKED)
        # The sandbox applies the write, then holds its answer for a minute: the worker waits on it.
        armed = await control.post("/_sandbox/faults", json={"fault": "slow", "seconds": 60, "on": route})
        assert armed.status_code == 204, armed.text
        job = await runtime.enqueue(store.id, capability, params)
        workers.append(_worker(db_url, sandbox_url))

        async def applied() -> bool:
            return await _sent(control, route.split()[0], path) >= 1

        await _until(applied, "the write to reach the sandbox")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        workers.append(_worker(db_url, sandbox_url))

        async def finished() -> bool:
            found = await runtime.queue.get(job.id)
            return found is not None and found.finished

        await _until(finished, "the second worker to finish the job")
        done = await runtime.queue.get(job.id)
        assert done is not None and done.status is JobStatus.SUCCEEDED, (done.error_category, done.error_message)
        assert done.claims == 2
        if case == "create":
            stock = (await runtime.execute(store.id, Capability.GET_INVENTORY, {"skus": [SKU]})).value.levels
            assert len(stock) == 1, "one product holds the SKU"
            assert await _sent(control, "POST", "/v1/products") == 1, "the re-run found it instead of creating again"
        elif case == "update":
            again = (await runtime.execute(store.id, Capability.GET_PRODUCT, {"product_id": first.id})).value
            assert again.title == "After"
        else:
            level = (await runtime.execute(store.id, Capability.GET_INVENTORY, {"skus": [STOCKED]})).value.levels
            assert [x.available for x in level] == [41]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(10)
        await control.aclose()
        await runtime.aclose()
