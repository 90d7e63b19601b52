"""A small fake platform ("queuetest") and its plugin, for the runtime's and the queue suite's tests.

The fake is an httpx.MockTransport handler with state: products, idempotency keys,
long-running operations, events. It logs every request it receives (time, store, path),
optionally to a file, so multi-process tests can check rate limits and duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx

from fusionhub import Capability, hookimpl
from fusionhub.clock import Clock
from fusionhub.context import StoreContext
from fusionhub.http import NO_RETRY, HttpConfig, raise_for_status
from fusionhub.models import BulkResult, Event, EventBatch, InventoryLevel, OperationHandle, Page, Product, Refund
from fusionhub.models.common import OperationStatus
from fusionhub.params import (
    BulkOperationsParams,
    BulkUpdateParams,
    CreateProductParams,
    GetProductParams,
    ListProductsParams,
    ProcessRefundParams,
    UpdateProductParams,
    UpdateVariantInventoryParams,
)
from fusionhub.registry import Registry
from fusionhub.stores import Store

SLUG = "queuetest"
BASE = "https://queuetest.invalid"
UNSUPPORTED = "the fake platform has no such API"


def manifest(rate: float = 2, max_retries: int = 2, slug: str = SLUG) -> dict[str, Any]:
    caps: dict[str, Any] = {c.value: {"level": "unsupported", "explanation": UNSUPPORTED} for c in Capability}
    for native in (
        "list_products",
        "get_product",
        "create_product",
        "update_product",
        "bulk_operations",
        "process_refund",
        "update_variant_inventory",
    ):
        caps[native] = {"level": "native"}
    caps["create_product"]["once"] = "reconcile"  # an earlier run's product is found by its title
    caps["update_product"]["once"] = "natural"
    caps["process_refund"]["once"] = "key"  # the fake de-duplicates refunds by their idempotency-key header
    caps["update_order_status"]["manual_workaround"] = "change the order in the fake's admin"
    # update_variant_inventory declares no `once`: a run that may have reached the fake is not resent
    caps["bulk_update"] = {
        "level": "workaround",
        "workaround": {"description": "one update_product call per item, within the rate limit"},
    }
    caps["webhooks"]["explanation"] = "the fake has no webhook subscriptions; events are polled"
    return {
        "slug": slug,
        "name": "Queue Test",
        "version": "1.0.0",
        "api": "fake REST",
        "auth": "api_key",
        "credential_fields": ["api_key"],
        "constraints": {
            "rate_limit": {"type": "requests_per_second", "requests": rate},
            "max_retries": max_retries,
            "polling_interval": 60,
        },
        "capabilities": caps,
    }


class FakePlatform:
    """The platform's server side."""

    def __init__(self, clock: Clock, log_path: str | None = None, slow_seconds: float = 0.0) -> None:
        self.clock = clock
        self.products: dict[str, dict[str, Any]] = {f"p{i}": {"id": f"p{i}", "title": f"Product {i}"} for i in range(5)}
        self.by_key: dict[str, str] = {}
        self.operations: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []
        self.flaky_keys: set[str] = set()  # the first create with such a key "loses" its response
        self.refunds: dict[str, dict[str, Any]] = {}  # idempotency key -> refund
        self.stock: dict[str, int] = {}
        self.writes: list[str] = []  # "METHOD path" of every applied write
        self.fail_left: dict[str, int] = {}  # product id -> 503s still to answer
        self.log: list[tuple[float, str, str, str]] = []
        self.log_path = log_path
        self.slow_seconds = slow_seconds

    def transport(self, store: Store | None = None) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.handle)

    def _record(self, request: httpx.Request) -> None:
        entry = (self.clock.now(), request.headers.get("x-store", ""), request.method, request.url.path)
        self.log.append(entry)
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self._record(request)
        if request.headers.get("x-api-key") == "revoked":
            return httpx.Response(401, json={"error": "invalid key"})
        path = request.url.path
        if path == "/products" and request.method == "GET" and "title" in request.url.params:
            title = request.url.params["title"]
            return httpx.Response(200, json={"items": [p for p in self.products.values() if p["title"] == title]})
        if path.startswith("/refunds/") and request.method == "POST":
            key = request.headers.get("idempotency-key", "")
            if not key:
                return httpx.Response(400, json={"error": "idempotency-key is required"})
            if key not in self.refunds:
                self.refunds[key] = {"id": f"r{len(self.refunds)}", "order_id": path.rsplit("/", 1)[1]}
                self.writes.append(f"POST {path}")
            if key in self.flaky_keys:
                self.flaky_keys.discard(key)
                return httpx.Response(503, json={"error": "refunded, but the response was lost"})
            return httpx.Response(201, json=self.refunds[key])
        if path.startswith("/stock/") and request.method == "PUT":
            sku = path.rsplit("/", 1)[1]
            self.stock[sku] = json.loads(request.content)["available"]
            self.writes.append(f"PUT {path}")
            return httpx.Response(200, json={"sku": sku, "available": self.stock[sku]})
        if path == "/products" and request.method == "GET":
            ids = sorted(self.products)
            start = int(request.url.params.get("cursor") or 0)
            limit = int(request.url.params.get("limit") or 2)
            page = [self.products[i] for i in ids[start : start + limit]]
            nxt = str(start + limit) if start + limit < len(ids) else None
            return httpx.Response(200, json={"items": page, "next": nxt})
        if path == "/products" and request.method == "POST":
            key = request.headers.get("idempotency-key", "")
            if key and key in self.by_key:
                return httpx.Response(200, json=self.products[self.by_key[key]])
            body = json.loads(request.content)
            pid = f"p{len(self.products)}"
            self.products[pid] = {"id": pid, "title": body["title"]}
            self.writes.append(f"POST {path}")
            if key:
                self.by_key[key] = pid
            if key in self.flaky_keys:
                self.flaky_keys.discard(key)
                return httpx.Response(503, json={"error": "created, but the response was lost"})
            return httpx.Response(201, json=self.products[pid])
        if path.startswith("/products/"):
            pid = path.rsplit("/", 1)[1]
            if pid.startswith("slow"):
                await asyncio.sleep(self.slow_seconds)
            if pid.startswith("bad"):
                return httpx.Response(422, json={"error": "title too long"})
            if self.fail_left.get(pid, 0) > 0 or pid.startswith("down"):
                self.fail_left[pid] = self.fail_left.get(pid, 0) - 1
                return httpx.Response(503)
            if request.method == "PATCH":
                product = self.products.setdefault(pid, {"id": pid, "title": pid})
                product.update(json.loads(request.content))
            return httpx.Response(200, json=self.products.get(pid, {"id": pid, "title": pid}))
        if path == "/operations" and request.method == "POST":
            op = f"op{len(self.operations)}"
            self.operations[op] = 0
            return httpx.Response(201, json={"id": op, "status": "running", "done": 0, "total": 3})
        if path.startswith("/operations/"):
            op = path.rsplit("/", 1)[1]
            self.operations[op] += 1
            polls = self.operations[op]
            status = "completed" if polls >= 3 else "running"
            return httpx.Response(200, json={"id": op, "status": status, "done": min(polls, 3), "total": 3})
        if path == "/events":
            start = int(request.url.params.get("cursor") or 0)
            return httpx.Response(200, json={"events": self.events[start:], "cursor": str(len(self.events))})
        return httpx.Response(404)


def _product(data: Mapping[str, Any]) -> Product:
    return Product(id=data["id"], platform=SLUG, title=data["title"])


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class QueueTestPlugin:
    def __init__(self, rate: float = 2, max_retries: int = 2, slug: str = SLUG) -> None:
        self._manifest = manifest(rate, max_retries, slug)

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return self._manifest

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        headers = {"x-api-key": store.credentials["api_key"], "x-store": store.id}
        return HttpConfig(base_url=BASE, headers=headers, retry=NO_RETRY)

    @hookimpl
    async def fusionhub_list_products(self, ctx: StoreContext, params: ListProductsParams) -> Page[Product]:
        query = {"limit": min(params.limit, 2), **({"cursor": params.cursor} if params.cursor else {})}
        body = raise_for_status(await ctx.http.get("/products", params=query)).json()
        return Page[Product](items=[_product(p) for p in body["items"]], next_cursor=body["next"])

    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: GetProductParams) -> Product:
        return _product(raise_for_status(await ctx.http.get(f"/products/{params.product_id}")).json())

    @hookimpl
    async def fusionhub_create_product(self, ctx: StoreContext, params: CreateProductParams) -> Product:
        headers = {"idempotency-key": params.idempotency_key or ""}
        response = await ctx.http.post("/products", json={"title": params.product.title}, headers=headers)
        return _product(raise_for_status(response).json())

    @hookimpl
    async def fusionhub_reconcile(self, ctx: StoreContext, capability: str, params: Any) -> Product | None:
        assert capability == "create_product"
        found = raise_for_status(await ctx.http.get("/products", params={"title": params.product.title})).json()
        return _product(found["items"][0]) if found["items"] else None

    @hookimpl
    async def fusionhub_process_refund(self, ctx: StoreContext, params: ProcessRefundParams) -> Refund:
        headers = {"idempotency-key": ctx.idempotency_key()}
        response = await ctx.http.post(f"/refunds/{params.order_id}", json={}, headers=headers)
        body = raise_for_status(response).json()
        return Refund(id=body["id"], order_id=body["order_id"])

    @hookimpl
    async def fusionhub_update_variant_inventory(
        self, ctx: StoreContext, params: UpdateVariantInventoryParams
    ) -> InventoryLevel:
        sku = params.target.sku or ""
        response = await ctx.http.put(f"/stock/{sku}", json={"available": params.target.quantity})
        return InventoryLevel(sku=sku, available=raise_for_status(response).json()["available"])

    @hookimpl
    async def fusionhub_update_product(self, ctx: StoreContext, params: UpdateProductParams) -> Product:
        changes = params.changes.model_dump(mode="json", exclude_none=True)
        response = await ctx.http.patch(f"/products/{params.product_id}", json=changes)
        return _product(raise_for_status(response).json())

    @hookimpl
    async def fusionhub_bulk_update(self, ctx: StoreContext, params: BulkUpdateParams) -> BulkResult:
        assert ctx.fan_out is not None
        return await ctx.fan_out(Capability.UPDATE_PRODUCT, [i.model_dump(mode="json") for i in params.items])

    @hookimpl
    async def fusionhub_bulk_operations(self, ctx: StoreContext, params: BulkOperationsParams) -> OperationHandle:
        body = raise_for_status(await ctx.http.post("/operations", json={"kind": params.kind.value})).json()
        return OperationHandle(operation_id=body["id"], kind="bulk_query", poll_after_seconds=10, total=3, done=0)

    @hookimpl
    async def fusionhub_poll_operation(self, ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
        body = raise_for_status(await ctx.http.get(f"/operations/{handle.operation_id}")).json()
        status = OperationStatus(body["status"])
        return handle.model_copy(update={"status": status, "done": body["done"], "total": body["total"]})

    @hookimpl
    async def fusionhub_poll_events(self, ctx: StoreContext, cursor: str | None) -> EventBatch:
        body = raise_for_status(await ctx.http.get("/events", params={"cursor": cursor or "0"})).json()
        return EventBatch(events=[Event(source="polling", **e) for e in body["events"]], cursor=body["cursor"])

    @hookimpl
    async def fusionhub_parse_webhook(self, store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
        from fusionhub.errors import AuthError

        expected = signature(store.credentials.get("webhook_secret", ""), body)
        if not hmac.compare_digest(headers.get("x-signature", ""), expected):
            raise AuthError("webhook signature does not match")
        data = json.loads(body)
        return [Event(platform=SLUG, type=data["type"], delivery_id=headers["x-delivery"], resource_id=data.get("id"))]


def registry(rate: float = 2, max_retries: int = 2, slugs: tuple[str, ...] = (SLUG,)) -> Registry:
    reg = Registry(allow=None, deny=())
    for slug in slugs:
        reg.add(QueueTestPlugin(rate, max_retries, slug), slug)
    return reg
