"""Pipeline overhead: N calls through Hub.execute versus N bare httpx calls to the same transport.

Both sides talk to the same in-process MockTransport returning a small product JSON, on the
system clock. Ours runs the whole path: gate, params validation, the plugin hook, auth, a
(never-binding) rate-limit acquire, the ApiCall record, structured logging at INFO into a
discarded stream (redaction included), result validation and the capability counters.

Times are CPU time of the process (`time.process_time`), not wall time: the loop runs on one
thread and never waits, so its CPU time is its cost, and other load on a shared machine moves
it far less than the wall clock.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import httpx

from bench import Row
from fusionhub import Capability, Hub, Store, hookimpl
from fusionhub.context import StoreContext
from fusionhub.credentials import Credentials
from fusionhub.http import ApiKeyAuth, HttpConfig, raise_for_status
from fusionhub.models import Product
from fusionhub.observability import configure_logging
from fusionhub.params import GetProductParams
from fusionhub.registry import Registry

BODY = {"id": "1", "title": "Mug"}
MANIFEST: dict[str, Any] = {
    "slug": "benchshop",
    "name": "Bench Shop",
    "version": "1.0.0",
    "api": "bench",
    "auth": "api_key",
    # A limit far above what the loop reaches: every call pays for the acquire, none waits.
    "constraints": {"rate_limit": {"type": "requests_per_second", "requests": 1_000_000_000}},
    "capabilities": {"get_product": {"level": "native"}},
}


class BenchPlugin:
    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return MANIFEST

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        return HttpConfig(base_url="https://bench.test/", auth=ApiKeyAuth(store.credentials["api_key"]))

    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: GetProductParams) -> Product:
        response = await ctx.http.get(f"products/{params.product_id}")
        raise_for_status(response, platform="benchshop")
        data = response.json()
        return Product(id=data["id"], platform="benchshop", title=data["title"])


def _transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=BODY))


async def _bare(n: int) -> float:
    async with httpx.AsyncClient(base_url="https://bench.test/", transport=_transport()) as client:
        started = time.process_time()
        for _ in range(n):
            response = await client.get("products/1", headers={"x-api-key": "bench-key-000000"})
            data = response.json()
            assert data["id"] == "1"
        return time.process_time() - started


async def _hub(n: int) -> float:
    registry = Registry(strict=True)
    registry.add(BenchPlugin(), "benchshop")
    hub = Hub(registry)
    store = Store(platform="benchshop", credentials=Credentials({"api_key": "bench-key-000000"}), id="bench")
    hub.connect(store, transport=_transport())
    params = {"product_id": "1"}
    try:
        started = time.process_time()
        for _ in range(n):
            outcome = await hub.execute(store, Capability.GET_PRODUCT, params)
            assert outcome.value.id == "1"
        return time.process_time() - started
    finally:
        await hub.aclose()


def rows(quick: bool = False) -> list[Row]:
    n = 500 if quick else 5_000
    configure_logging("json", level="INFO", stream=io.StringIO())
    asyncio.run(_bare(100))  # warm-up of both paths (imports, adapters)
    asyncio.run(_hub(100))
    bare, ours = float("inf"), float("inf")
    for _ in range(5):  # interleaved, best of five: other load on the machine hits both sides alike
        bare = min(bare, asyncio.run(_bare(n)))
        ours = min(ours, asyncio.run(_hub(n)))
    per_bare, per_ours = bare / n * 1e6, ours / n * 1e6
    return [
        Row(f"pipeline overhead, {n} calls", per_bare, per_ours, "µs/call", f"+{per_ours - per_bare:,.0f} µs/call"),
    ]
