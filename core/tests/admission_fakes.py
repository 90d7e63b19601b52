"""A plugin whose calls send several requests, and its server, for the admission tests.

`update_product` reads the product, writes it, and reads it back: three requests per call.
`bulk_update` is a workaround fanned out to `update_product`, as an outside plugin would
write it. The server counts its own limit (at most `rate` requests per second, spaced evenly:
a bucket of one request) and answers 429 with Retry-After to a client that goes over it; it
can also refuse the next requests of a method with 429 (`throttle`), fail them with a status
(`fail`), or answer them with a body cut short (`garble`).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

# The plugin is written as an outside author writes one: from the public plugin API only.
from fusionhub.plugin import (
    BulkResult,
    Capability,
    Clock,
    HttpConfig,
    Page,
    Product,
    Store,
    StoreContext,
    hookimpl,
    raise_for_status,
)
from fusionhub.plugin import params as p
from fusionhub.registry import Registry  # the host's side: registering the plugin for a test

SLUG = "admitest"
BASE = "https://admitest.invalid"
EPSILON = 1e-6


def manifest(rate: float) -> dict[str, Any]:
    caps: dict[str, Any] = {c.value: {"level": "unsupported", "explanation": "not in the fake"} for c in Capability}
    caps["list_products"] = {"level": "native"}
    caps["update_product"] = {"level": "native"}
    caps["bulk_update"] = {"level": "workaround", "workaround": {"description": "one update_product per item"}}
    return {
        "slug": SLUG,
        "name": "Admission Test",
        "version": "1.0.0",
        "api": "fake REST",
        "auth": "api_key",
        "credential_fields": ["api_key"],
        "constraints": {"rate_limit": {"type": "requests_per_second", "requests": rate}},
        "capabilities": caps,
    }


class Server:
    """The platform: products, a limit of its own, a log of what it accepted and refused."""

    slug = SLUG

    def __init__(self, clock: Clock, rate: float) -> None:
        self.clock = clock
        self.interval = 1.0 / rate
        self.products = {f"p{i}": {"id": f"p{i}", "title": f"Product {i}"} for i in range(3)}
        self.requests: list[httpx.Request] = []
        self.sent_at: list[float] = []  # when each request arrived, refused ones included
        self.accepted: list[tuple[float, str]] = []  # (time, "METHOD path")
        self.throttled = 0
        self._throttle: dict[str, int] = {}
        self._fail: dict[str, tuple[int, int]] = {}  # method -> (status, times)
        self._garble: dict[str, int] = {}
        self._last: float | None = None

    # --- the Sandbox protocol (for `fusionhub demo`) -------------------------------------------

    def transport(self, store: Store | None = None) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.handle)

    def credentials(self) -> dict[str, str]:
        return {"api_key": "k"}

    def store_config(self) -> dict[str, Any]:
        return {}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        if capability is Capability.BULK_UPDATE:
            return {"items": [{"product_id": pid, "changes": {"title": f"bulk {pid}"}} for pid in self.products]}
        return None

    # --- controls ------------------------------------------------------------------------------

    def throttle(self, method: str, times: int = 1) -> None:
        """Answer the next `times` requests of `method` with 429 (Retry-After: one interval)."""
        self._throttle[method] = times

    def fail(self, method: str, status: int, times: int = 1) -> None:
        """Answer the next `times` requests of `method` (within the limit) with `status`."""
        self._fail[method] = (status, times)

    def garble(self, method: str, times: int = 1) -> None:
        """Answer the next `times` requests of `method` (within the limit) 200 with a body cut short."""
        self._garble[method] = times

    def _fault(self, method: str) -> httpx.Response | None:
        status, left = self._fail.get(method, (0, 0))
        if left > 0:
            self._fail[method] = (status, left - 1)
            return httpx.Response(status, json={"error": "unavailable"})
        if self._garble.get(method, 0) > 0:
            self._garble[method] -= 1
            return httpx.Response(200, headers={"content-type": "application/json"}, content=b'{"items": [{"id"')
        return None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        now = self.clock.now()
        self.sent_at.append(now)
        refused = self._throttle.get(request.method, 0) > 0
        if refused:
            self._throttle[request.method] -= 1
        elif self._last is not None and now - self._last < self.interval - EPSILON:
            refused = True
        if refused:
            self.throttled += 1
            return httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": str(self.interval)})
        self._last = now
        self.accepted.append((now, f"{request.method} {request.url.path}"))
        fault = self._fault(request.method)
        if fault is not None:
            return fault
        if request.url.path == "/products":
            return httpx.Response(200, json={"items": list(self.products.values())})
        pid = request.url.path.rsplit("/", 1)[1]
        if pid not in self.products:
            return httpx.Response(404, json={"error": "no such product"})
        if request.method == "PATCH":
            self.products[pid].update(json.loads(request.content))
        return httpx.Response(200, json=self.products[pid])


def _product(data: dict[str, Any]) -> Product:
    return Product(id=data["id"], platform=SLUG, title=data["title"])


class AdmissionPlugin:
    def __init__(self, rate: float) -> None:
        self.rate = rate

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest(self.rate)

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        return HttpConfig(base_url=BASE, headers={"x-api-key": store.credentials["api_key"]})

    @hookimpl
    def fusionhub_sandbox(self, clock: Clock, options: dict[str, Any]) -> Server:
        return Server(clock, self.rate)

    @hookimpl
    async def fusionhub_list_products(self, ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
        body = raise_for_status(await ctx.http.get("/products")).json()
        return Page[Product](items=[_product(p) for p in body["items"]])

    @hookimpl
    async def fusionhub_update_product(self, ctx: StoreContext, params: p.UpdateProductParams) -> Product:
        path = f"/products/{params.product_id}"
        raise_for_status(await ctx.http.get(path))  # read before the write (it must exist)
        raise_for_status(await ctx.http.patch(path, json={"title": params.changes.title}))
        return _product(raise_for_status(await ctx.http.get(path)).json())  # read back

    @hookimpl
    async def fusionhub_bulk_update(self, ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
        assert ctx.fan_out is not None
        return await ctx.fan_out(Capability.UPDATE_PRODUCT, [i.model_dump(mode="json") for i in params.items])


def registry(rate: float) -> Registry:
    reg = Registry(allow=None, deny=())
    reg.add(AdmissionPlugin(rate), SLUG)
    return reg
