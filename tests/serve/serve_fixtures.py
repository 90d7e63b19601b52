"""A runtime with three sandboxed stores (Shopify, Printify, Gumroad) and the app over it, for httpx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.serve import AdminToken, create_app
from fusionhub.storage import sqlite_url
from fusionhub.stores import Store
from fusionhub_gumroad.sandbox import GumroadSandbox
from fusionhub_printify.sandbox import PrintifySandbox
from fusionhub_shopify.sandbox import ShopifySandbox

TOKEN = "admin-token-for-tests-0123456789"
BASE = "http://127.0.0.1:8000"


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str = TOKEN, next_path: str = "/matrix") -> httpx.Response:
    form = await client.get("/login", params={"next": next_path})
    return await client.post("/login", data={"csrf": csrf_of(form), "token": token, "next": next_path})


@dataclass
class Served:
    runtime: Runtime
    client: httpx.AsyncClient
    shopify: ShopifySandbox
    printify: PrintifySandbox
    gumroad: GumroadSandbox
    ids: dict[str, str]  # store name -> id
    app: Starlette

    async def stored(self, store: str) -> int:
        return len(await self.runtime.events.list(store))


@dataclass
class Sandboxed:
    runtime: Runtime
    shopify: ShopifySandbox
    printify: PrintifySandbox
    gumroad: GumroadSandbox
    ids: dict[str, str]  # store name -> id


async def sandboxed(tmp_path: Path, url: str | None = None, schema: str | None = None) -> Sandboxed:
    """A runtime (on a new SQLite file, or `url` in `schema`) with one store per sandboxed platform,
    each named after its platform."""
    shopify, printify = ShopifySandbox(SYSTEM_CLOCK), PrintifySandbox(SYSTEM_CLOCK)
    gumroad = GumroadSandbox(SYSTEM_CLOCK)
    sandboxes = {"shopify": shopify, "printify": printify, "gumroad": gumroad}

    def transport_for(store: Store) -> httpx.AsyncBaseTransport:
        return sandboxes[store.platform].transport()

    runtime = await Runtime.open(
        url or sqlite_url(tmp_path / "hub.db"),
        schema=schema,
        registry=Registry.discover(allow=set(sandboxes)),
        keyring=Keyring([Fernet.generate_key().decode()], "test keys"),
        transport_for=transport_for,
    )
    ids = {}
    for name, sandbox in sandboxes.items():
        ids[name] = (await runtime.stores.add(name, name, sandbox.credentials(), sandbox.store_config())).id
    return Sandboxed(runtime, shopify, printify, gumroad, ids)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    made = await sandboxed(tmp_path)
    app = create_app(made.runtime, AdminToken(TOKEN, "environment"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            yield Served(made.runtime, client, made.shopify, made.printify, made.gumroad, made.ids, app)
    finally:
        await made.runtime.aclose()
