"""kill -9 a worker in the middle of a write, on both backends: the write takes effect once.

One plugin sandbox runs as a server process that every process shares. The sandbox applies
the write and holds its answer back; the worker is SIGKILLed while it waits; a second worker
takes the job when the lease runs out and runs it again. The example plugin's create reconciles
(its API takes no idempotency key: the product is found by its SKU), its update and stock are
natural (the same state again); Gumroad's whole refund reconciles (the sale reads refunded).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fusionhub import Capability, Registry
from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.jobs import JobStatus
from fusionhub.runtime import Runtime
from fusionhub.sandbox.server import forwarding
from fusionhub.secrets import Keyring

pytestmark = pytest.mark.slow

SKU = "KILL-9"
STOCKED = "EX-1-S"  # a SKU the example sandbox starts with


def _worker(db_url: str, sandbox_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FUSIONHUB_SANDBOX": sandbox_url}
    command = [
        sys.executable,
        "-m",
        "fusionhub.cli",
        "worker",
        "--database",
        db_url,
        "--lease",
        "2",
        "--concurrency",
        "1",
        "--no-events",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


async def _sent(control: httpx.AsyncClient, method: str, path: str) -> int:
    log = (await control.get("/_sandbox/requests")).json()["requests"]
    return sum(1 for r in log if r["method"] == method and httpx.URL(r["url"]).path == path)


async def _until(check: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Case:
    slug: str
    capability: Capability
    route: str  # the sandbox route the fault holds: "METHOD template"
    prepare: Callable[[Runtime, str], Awaitable[tuple[dict[str, Any], str]]]  # -> params, request path
    check: Callable[[Runtime, str, httpx.AsyncClient], Awaitable[None]]


async def _first_product(runtime: Runtime, store: str) -> str:
    return str((await runtime.execute(store, Capability.LIST_PRODUCTS, {"limit": 1})).value.items[0].id)


async def _create(runtime: Runtime, store: str) -> tuple[dict[str, Any], str]:
    price = {"amount": "9", "currency": "EUR"}
    return {"product": {"title": "Kill mug", "variants": [{"sku": SKU, "price": price}]}}, "/v1/products"


async def _created_once(runtime: Runtime, store: str, control: httpx.AsyncClient) -> None:
    stock = (await runtime.execute(store, Capability.GET_INVENTORY, {"skus": [SKU]})).value.levels
    assert len(stock) == 1, "one product holds the SKU"
    assert await _sent(control, "POST", "/v1/products") == 1, "the re-run found it instead of creating again"


async def _update(runtime: Runtime, store: str) -> tuple[dict[str, Any], str]:
    pid = await _first_product(runtime, store)
    return {"product_id": pid, "changes": {"title": "After"}}, f"/v1/products/{pid}"


async def _updated(runtime: Runtime, store: str, control: httpx.AsyncClient) -> None:
    pid = await _first_product(runtime, store)
    assert (await runtime.execute(store, Capability.GET_PRODUCT, {"product_id": pid})).value.title == "After"


async def _stock(runtime: Runtime, store: str) -> tuple[dict[str, Any], str]:
    return {"target": {"sku": STOCKED, "quantity": 41}}, f"/v1/stock/{STOCKED}"


async def _stocked(runtime: Runtime, store: str, control: httpx.AsyncClient) -> None:
    levels = (await runtime.execute(store, Capability.GET_INVENTORY, {"skus": [STOCKED]})).value.levels
    assert [x.available for x in levels] == [41]


async def _first_sale(runtime: Runtime, store: str) -> str:
    return str((await runtime.execute(store, Capability.LIST_ORDERS, {"limit": 1})).value.items[0].id)


async def _refund(runtime: Runtime, store: str) -> tuple[dict[str, Any], str]:
    sale = await _first_sale(runtime, store)
    return {"order_id": sale}, f"/v2/sales/{sale}/refund"


async def _refunded_once(runtime: Runtime, store: str, control: httpx.AsyncClient) -> None:
    sale = await _first_sale(runtime, store)
    assert (await runtime.execute(store, Capability.GET_ORDER, {"order_id": sale})).value.status.value == "refunded"
    assert await _sent(control, "PUT", f"/v2/sales/{sale}/refund") == 1, "the re-run found the refund"


CASES = {
    "create": Case("example", Capability.CREATE_PRODUCT, "POST /products", _create, _created_once),
    "update": Case("example", Capability.UPDATE_PRODUCT, "PATCH /products/{id}", _update, _updated),
    "inventory": Case("example", Capability.UPDATE_VARIANT_INVENTORY, "PUT /stock/{code}", _stock, _stocked),
    "refund": Case("gumroad", Capability.PROCESS_REFUND, "PUT /sales/{id}/refund", _refund, _refunded_once),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.fixture
def sandbox_url(case: Case) -> Iterator[str]:
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "fusionhub.sandbox.server", case.slug], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[1]  # "listening http://127.0.0.1:PORT"
    finally:
        server.terminate()
        server.wait(10)


async def test_a_worker_killed_mid_write_its_write_takes_effect_once(
    case: Case, secret_keys: str, sandbox_url: str, process_db_url: str
) -> None:
    registry = Registry.discover()
    runtime = await Runtime.open(
        process_db_url, registry=registry, keyring=Keyring.load(), transport_for=lambda store: forwarding(sandbox_url)
    )
    control = httpx.AsyncClient(base_url=sandbox_url)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        local = registry.impl(case.slug, "fusionhub_sandbox")(clock=SYSTEM_CLOCK, options={})  # its documented keys
        store = (await runtime.stores.add("shop", case.slug, local.credentials(), local.store_config())).id
        params, path = await case.prepare(runtime, store)
        # The sandbox applies the write, then holds its answer for a minute: the worker waits on it.
        armed = await control.post("/_sandbox/faults", json={"fault": "slow", "seconds": 60, "on": case.route})
        assert armed.status_code == 204, armed.text
        job = await runtime.enqueue(store, case.capability, params)
        workers.append(_worker(process_db_url, sandbox_url))

        async def applied() -> bool:
            return await _sent(control, case.route.split()[0], path) >= 1

        await _until(applied, "the write to reach the sandbox")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        workers.append(_worker(process_db_url, sandbox_url))

        async def finished() -> bool:
            found = await runtime.queue.get(job.id)
            return found is not None and found.finished

        await _until(finished, "the second worker to finish the job")
        done = await runtime.queue.get(job.id)
        assert done is not None and done.status is JobStatus.SUCCEEDED, (done.error_category, done.error_message)
        assert done.claims == 2
        await case.check(runtime, store, control)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(10)
        await control.aclose()
        await runtime.aclose()
