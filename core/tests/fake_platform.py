"""A small fake platform for the http / observability / cache tests: a plugin and its server.

The server enforces its own limit independently of fusionhub's buckets (a sliding window of
request timestamps) and answers 429 when a client goes over it.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fusionhub import Capability, Hub, Store, hookimpl
from fusionhub.clock import Clock
from fusionhub.context import StoreContext
from fusionhub.http import ApiKeyAuth, HttpConfig, RetryPolicy, meta, raise_for_status
from fusionhub.models import Page, Product
from fusionhub.params import GetProductParams, ListProductsParams, UpdateProductParams
from fusionhub.registry import Registry

SLUG = "fakeshop"
BASE_URL = "https://fake.test/v1/"
MANIFEST: dict[str, Any] = {
    "slug": SLUG,
    "name": "Fake Shop",
    "version": "1.0.0",
    "api": "Fake REST v1",
    "auth": "api_key",
    "constraints": {"rate_limit": {"type": "requests_per_second", "requests": 10}},
    "capabilities": {
        "get_product": {"level": "native", "constraints": {"cache_ttl": 60}},
        "list_products": {"level": "native"},
        "update_product": {"level": "native"},
    },
    "credential_fields": ["api_key"],
}


class FakeShopPlugin:
    def __init__(self, retry: RetryPolicy | None = None) -> None:
        self.retry = retry or RetryPolicy(wait_initial=0.5, wait_max=4.0, wait_jitter=0.5)

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return MANIFEST

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        auth = ApiKeyAuth(store.credentials["api_key"], header=None, query_param="api_key")
        return HttpConfig(base_url=BASE_URL, auth=auth, retry=self.retry)

    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: GetProductParams) -> Product:
        if params.product_id == "explode":  # a plugin bug that puts a credential in its message
            raise RuntimeError(f"plugin bug while using {ctx.credentials['api_key']}")
        response = await ctx.http.get(f"products/{params.product_id}")
        raise_for_status(response, platform=SLUG, message=_message(response))
        return _product(response.json())

    @hookimpl
    async def fusionhub_list_products(self, ctx: StoreContext, params: ListProductsParams) -> Page[Product]:
        response = await ctx.http.get("products", params={"limit": params.limit})
        raise_for_status(response, platform=SLUG)
        return Page[Product](items=[_product(p) for p in response.json()["products"]])

    @hookimpl
    async def fusionhub_update_product(self, ctx: StoreContext, params: UpdateProductParams) -> Product:
        response = await ctx.http.patch(
            f"products/{params.product_id}",
            json={"title": params.changes.title},
            extensions=meta(idempotent=True),  # a PATCH that sets a value: the same when sent twice
        )
        raise_for_status(response, platform=SLUG, message=_message(response))
        return _product(response.json())


def _message(response: httpx.Response) -> str | None:
    if response.is_success:
        return None
    try:
        return str(response.json().get("error"))
    except ValueError:
        return None


def _product(data: dict[str, Any]) -> Product:
    return Product(id=data["id"], platform=SLUG, title=data["title"])


Fault = int | type[Exception]


@dataclass
class FakeServer:
    """The platform: products, an API key, a sliding-window limit, and faults to inject."""

    clock: Clock
    api_key: str
    limit: int = 10
    window: float = 1.0
    products: dict[str, dict[str, Any]] = field(default_factory=lambda: {"1": {"id": "1", "title": "Mug"}})
    faults: list[Fault] = field(default_factory=list)  # answers to give next, before real ones
    retry_after: str | None = "1"
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    throttled: int = 0
    _recent: collections.deque[float] = field(default_factory=collections.deque)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now()
        self.requests.append(request)
        self.times.append(now)
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            self.throttled += 1
            headers = {"retry-after": self.retry_after} if self.retry_after else {}
            return httpx.Response(429, headers=headers, json={"error": "too many requests"})
        self._recent.append(now)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, int):
                return httpx.Response(fault, json={"error": f"injected {fault}"})
            # Like a careless library: the message carries the full URL, query and all.
            raise fault(f"injected network failure reaching {request.url}", request=request)  # type: ignore[call-arg]
        sent = request.url.params.get("api_key")
        if sent != self.api_key:  # like some platforms, the error echoes what it was sent
            return httpx.Response(401, json={"error": f"invalid api key {sent}"})
        return self._route(request)

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/v1/").split("/")
        if parts == ["products"]:
            return httpx.Response(200, json={"products": list(self.products.values())})
        product = self.products.get(parts[1]) if len(parts) == 2 else None
        if product is None:
            return httpx.Response(404, json={"error": "no such product"})
        if request.method == "PATCH":
            product.update({k: v for k, v in json.loads(request.content).items() if v is not None})
        return httpx.Response(200, json=product)


def make_hub(clock: Clock, server: FakeServer, plugin: FakeShopPlugin | None = None, **hub_kwargs: Any) -> Hub:
    registry = Registry(strict=True)
    registry.add(plugin or FakeShopPlugin(), SLUG)
    return Hub(registry, clock=clock, **hub_kwargs)


def connect(hub: Hub, server: FakeServer, store_id: str = "store-1") -> Store:
    store = Store(platform=SLUG, credentials={"api_key": server.api_key}, id=store_id)
    hub.connect(store, transport=server.transport())
    return store


Recorder = Callable[[Any], None]
GET = Capability.GET_PRODUCT
