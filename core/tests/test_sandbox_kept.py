"""A sandbox's shop kept between processes: snapshot/restore in place, the lock around each request,
and sandbox stores in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import pickle
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture

from fusionhub.clock import Clock, VirtualClock
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.sandbox import KeptTransport, MemoryKeeper, Reply, SandboxBase, StateError
from fusionhub.secrets import Keyring
from fusionhub.storage import Database

pytest.importorskip("fusionhub_example", reason="sandbox stores of the example fixture plugin")


@dataclass
class Shelf:
    clock: Clock
    items: dict[str, str] = field(default_factory=dict)


class Counter:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}


class Shop(SandboxBase):
    """A tiny sandbox: POST /items?name=x adds an item, GET /items lists them."""

    slug = "shop"
    persistent = ("shelf", "helper.seen", "next_id")

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.shelf = Shelf(clock)
        self.helper = Counter()
        self.view = self.shelf  # a helper holding a kept object: it must keep seeing the live one
        self.next_id = 0
        self.code = lambda: None  # not kept: code stays per process

    def serve(self, request: httpx.Request) -> httpx.Response:
        return self.faults.apply("items", request, lambda: self._items(request))

    def _items(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            if request.url.params.get("refuse"):
                raise Reply(httpx.Response(422, json={"error": "refused"}))
            self.next_id += 1
            self.shelf.items[str(self.next_id)] = request.url.params["name"]
            self.helper.seen[request.url.params["name"]] = self.next_id
            return httpx.Response(201, json={"id": self.next_id})
        return httpx.Response(200, json=self.shelf.items)


def test_restore_is_in_place_and_the_clock_is_the_live_one() -> None:
    clock = VirtualClock()
    a, b = Shop(clock), Shop(clock)
    a.handle(httpx.Request("POST", "https://shop.test/items?name=mug"))
    b.restore(a.snapshot())
    assert b.shelf.items == {"1": "mug"} and b.view.items == {"1": "mug"}  # the helper sees it too
    assert b.helper.seen == {"mug": 1} and b.next_id == 1
    assert b.shelf.clock is clock and b.code is not a.code


def test_state_that_cannot_be_kept_is_named() -> None:
    class Leaky(Shop):
        persistent = ("shelf", "code")

    with pytest.raises(StateError, match="cannot keep 'code'"):
        Leaky(VirtualClock()).snapshot()


def test_kept_state_naming_other_code_is_refused() -> None:
    evil = pickle.dumps({"next_id": print})  # a class or function from outside the plugin: never loaded
    with pytest.raises(StateError, match=r"builtins\.print"):
        Shop(VirtualClock()).restore(evil)
    # A name the sandbox's own module merely imported (a module, a function): not one of its classes.
    imported = pickle.dumps({"next_id": os.system}, protocol=0).replace(b"cposix\nsystem", b"ctest_sandbox_kept\nos")
    with pytest.raises(StateError, match="not sandbox data"):
        Shop(VirtualClock()).restore(imported)
    with pytest.raises(StateError, match="cannot be read"):
        Shop(VirtualClock()).restore(b"not a snapshot")


async def test_two_sandboxes_on_one_keeper_are_one_shop_and_lose_no_write() -> None:
    clock = VirtualClock()
    first = Shop(clock)
    keeper = MemoryKeeper(first.snapshot())
    clients = [httpx.AsyncClient(transport=KeptTransport(s, keeper)) for s in (first, Shop(clock))]
    await asyncio.gather(
        *(clients[n % 2].post(f"https://shop.test/items?name=item-{n}") for n in range(20)),
    )
    refused = await clients[0].post("https://shop.test/items?name=x&refuse=1")
    assert refused.status_code == 422
    listed = (await clients[1].get("https://shop.test/items")).json()
    assert sorted(listed.values()) == sorted(f"item-{n}" for n in range(20))
    assert sorted(map(int, listed)) == list(range(1, 21))  # ids were never handed out twice
    assert keeper.version == 20  # one save per change; reads and refusals save nothing


async def test_a_lost_response_still_keeps_the_change() -> None:
    shop = Shop(VirtualClock())
    keeper = MemoryKeeper(shop.snapshot())
    shop.faults.lose()
    async with httpx.AsyncClient(transport=KeptTransport(shop, keeper)) as client:
        with pytest.raises(httpx.TransportError):
            await client.post("https://shop.test/items?name=lost")
    fresh = Shop(VirtualClock())
    assert keeper.state is not None
    fresh.restore(keeper.state)
    assert list(fresh.shelf.items.values()) == ["lost"]


@pytest.fixture
async def pair(database: Database) -> AsyncIterator[tuple[Runtime, Runtime]]:  # noqa: F811
    keys = Keyring([Fernet.generate_key().decode()], "test keys")
    registry = Registry.discover()
    second = Database(database.url, schema=database.schema)  # another engine: what another process has
    runtimes = [Runtime(db, registry=registry, keyring=keys) for db in (database, second)]
    for runtime in runtimes:
        await runtime.register_plugins()
    yield runtimes[0], runtimes[1]
    await runtimes[1].aclose()
    await runtimes[0].hub.aclose()


async def test_sandbox_store_is_one_shop_for_two_runtimes_writing_at_once(pair: tuple[Runtime, Runtime]) -> None:
    one, other = pair
    record = await one.sandboxes.add_store(one.stores, "kept", "example")
    assert record.config["base_url"].startswith("https://")

    async def create(runtime: Runtime, n: int) -> Any:
        product = {
            "title": f"Parallel {n}",
            "variants": [{"sku": f"P-{n}", "price": {"amount": "5", "currency": "EUR"}}],
        }
        return await runtime.execute("kept", "create_product", {"product": product})

    await asyncio.gather(*(create((one, other)[n % 2], n) for n in range(8)))
    listed = (await other.execute("kept", "list_products", {"limit": 100})).value.items
    assert {f"Parallel {n}" for n in range(8)} <= {p.title for p in listed}
    info = await one.sandboxes.info(record.id)
    assert info is not None and info.version == 8

    await one.stores.remove("kept")
    assert await one.sandboxes.info(record.id) is None  # the shop went with its store
