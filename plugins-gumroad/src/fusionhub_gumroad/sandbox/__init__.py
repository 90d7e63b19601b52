"""An in-process Gumroad API v2 on core's sandbox toolkit.

Wire format as Gumroad answers: `{"success": true, "product": ...}`, refusals at HTTP 200 with
`{"success": false, "message": ...}`, malformed parameters as 400 `{"status": 400, "error": ...}`,
10 records a page with `next_page_key`. The token goes as `Authorization: Bearer` or the
`access_token` parameter. Options: `products`, `sales` (how many to start with),
`older_account=True` (POST /products and PUT /products/:id answer 404: the route is missing, as on
older API servers), `limit` (requests per 60 s per token, default the specification's 60; past it
429 with Retry-After). Sales and refunds are delivered to resource subscriptions as form posts
(`sandbox.world.deliveries`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from fusionhub.plugin import (
    SANDBOX_ACCESS_TOKEN,
    Capability,
    Clock,
    Faults,
    Reply,
    RouteTable,
    SandboxBase,
    SandboxBucket,
    SignedDelivery,
    SlidingWindow,
    form_fields,
    plain_missing,
)
from fusionhub_gumroad.sandbox.world import RESOURCES, Delivery, Json, World, public

# Not a secret: every Gumroad sandbox store uses it (43 characters, like secrets.token_urlsafe(32)).
SANDBOX_WEBHOOK_SECRET = "fhsbx-webhook-secret-0123456789abcdefghijk"  # noqa: S105 (documented, sandbox only)
PAGE = 10
_Handler = Callable[["GumroadSandbox", httpx.Request, dict[str, str]], httpx.Response]


def ok(**body: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, **body})


def refused(message: str) -> httpx.Response:
    """Gumroad's usual refusal: HTTP 200, success false."""
    return httpx.Response(200, json={"success": False, "message": message})


def bad_request(message: str) -> httpx.Response:
    return httpx.Response(400, json={"status": 400, "error": message})


def _fault(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "message": message})


def _token(request: httpx.Request) -> str:
    header = str(request.headers.get("authorization", ""))
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return str(request.url.params.get("access_token", ""))


def _fields(request: httpx.Request) -> dict[str, list[str]]:
    """Form fields from the body, then the query (Rails merges both into `params`)."""
    found = _query(request)
    if request.content:
        found.update(form_fields(request))
    return found


def _query(request: httpx.Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        out.setdefault(key, []).append(value)
    return out


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[-1] if values else None


class GumroadSandbox(SandboxBase):
    slug = "gumroad"

    def __init__(
        self, clock: Clock, *, products: int = 12, sales: int = 12, older_account: bool = False, limit: int = 60
    ) -> None:
        bucket: SandboxBucket[SlidingWindow] = SandboxBucket(
            clock, lambda now: {"minute": SlidingWindow(float(limit), 60.0)}, key=_token
        )
        super().__init__(clock, faults=Faults(error=_fault), bucket=bucket)
        self.older_account = older_account
        self.world = World(clock)
        for n in range(products):
            self.world.add_product(f"Sample ebook {n + 1}", 500 + 100 * n, tags=["ebook"])
        ids = list(self.world.products)
        for n in range(sales if ids else 0):
            self.world.sell(ids[n % len(ids)], f"buyer{n + 1}@example.test")

    # --- the Sandbox protocol -----------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        return {"access_token": SANDBOX_ACCESS_TOKEN, "webhook_secret": SANDBOX_WEBHOOK_SECRET}

    def store_config(self) -> dict[str, Any]:
        return {}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        products = [p for p in self._products() if p["published"]]
        sales = self._sales()
        open_sales = [s for s in sales if not s["refunded"]]
        first = products[0]["id"] if products else None
        usd = {"currency": "USD"}
        samples: dict[Capability, Callable[[], dict[str, Any] | None]] = {
            Capability.LIST_PRODUCTS: lambda: {"limit": 50},
            Capability.GET_PRODUCT: lambda: {"product_id": first} if first else None,
            Capability.CREATE_PRODUCT: lambda: {
                "product": {
                    "title": "Field notes (PDF)",
                    "description": "A sample digital product",
                    "tags": ["ebook"],
                    "variants": [{"price": {"amount": "9.99", **usd}}],
                }
            },
            Capability.UPDATE_PRODUCT: lambda: (
                {
                    "product_id": first,
                    "changes": {"title": "Sample ebook, 2nd edition", "price": {"amount": "12", **usd}},
                }
                if first
                else None
            ),
            Capability.DELETE_PRODUCT: lambda: {"product_id": products[-1]["id"]} if products else None,
            Capability.BULK_UPDATE: lambda: (
                {"items": [{"product_id": p["id"], "changes": {"tags": ["ebook", "sale"]}} for p in products[:3]]}
                if products
                else None
            ),
            Capability.LIST_ORDERS: lambda: {"limit": 10},
            Capability.GET_ORDER: lambda: {"order_id": sales[0]["id"]} if sales else None,
            Capability.UPDATE_ORDER_STATUS: lambda: (
                {"order_id": sales[0]["id"], "action": "ship", "tracking": {"number": "1Z999", "url": TRACKING}}
                if sales
                else None
            ),
            Capability.PROCESS_REFUND: lambda: (
                {"order_id": open_sales[0]["id"], "amount": {"amount": "1.00", **usd}} if open_sales else None
            ),
            Capability.WEBHOOKS: lambda: {
                "action": "subscribe",
                "topics": ["sale", "refund"],
                "callback_url": "https://hub.example.test/webhooks/gumroad-sandbox",
            },
            Capability.BULK_OPERATIONS: lambda: {"kind": "export_products"},
        }
        make = samples.get(capability)
        return make() if make else None

    # --- what tests and the demo drive ----------------------------------------------------------

    def sell(self, product_id: str | None = None, email: str = "buyer@example.test") -> Json:
        """A new purchase (delivered to the `sale` subscriptions)."""
        target = product_id or next(iter(self.world.products))
        return public(self.world.sell(target, email))

    @property
    def deliveries(self) -> list[Delivery]:
        return self.world.deliveries

    def signed_delivery(self) -> SignedDelivery:
        """A sale ping as Gumroad posts it to a subscription's post_url, which carries the store's
        webhook secret (Gumroad signs nothing: the secret in the URL is the check)."""
        sale = self.world.sell(next(iter(self.world.products)), "buyer@example.test")
        body = urlencode(self.world.ping_fields("sale", sale)).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return SignedDelivery(headers, body, url=f"/webhooks/gumroad?{urlencode({'secret': SANDBOX_WEBHOOK_SECRET})}")

    # --- HTTP ---------------------------------------------------------------------------------

    def serve(self, request: httpx.Request) -> httpx.Response:
        refused_now = self.bucket.admit(request)
        if refused_now is not None:
            return refused_now
        if _token(request) != SANDBOX_ACCESS_TOKEN:
            return httpx.Response(401, json={"success": False, "message": "The access token is invalid."})
        route, params = _ROUTES.find(request.method, request.url.path.removeprefix("/v2"))
        return self.faults.apply(route.name, request, lambda: route.handler(self, request, params))

    def _missing_on_older_accounts(self, request: httpx.Request) -> None:
        if self.older_account:
            raise Reply(plain_missing(request.method, request.url.path, ()))

    def _products(self) -> list[Json]:
        alive = [p for p in self.world.products.values() if not p["deleted"]]
        return sorted(alive, key=lambda p: (-p["_created"], -p["_order"]))

    def _sales(self) -> list[Json]:
        return sorted(self.world.sales.values(), key=lambda s: (-s["_created"], -s["_order"]))

    def _product(self, params: dict[str, str]) -> Json:
        product = self.world.products.get(params["id"])
        if product is None or product["deleted"]:
            raise Reply(refused("The product was not found."))
        return product

    def _sale(self, params: dict[str, str]) -> Json:
        sale = self.world.sales.get(params["id"])
        if sale is None:
            raise Reply(refused("The sale was not found."))
        return sale

    @staticmethod
    def _page(records: list[Json], request: httpx.Request, key: str) -> httpx.Response:
        """10 records after `page_key` (the last record's key of the previous page), newest first."""
        page_key = request.url.params.get("page_key")
        start = 0
        if page_key:
            keys = [f"{r['_created']:.6f}-{r['_order']}" for r in records]
            if page_key not in keys:
                return bad_request("Invalid page_key.")
            start = keys.index(page_key) + 1
        chunk = records[start : start + PAGE]
        body: Json = {key: [public(r) for r in chunk]}
        if start + PAGE < len(records):
            last = chunk[-1]
            body["next_page_key"] = f"{last['_created']:.6f}-{last['_order']}"
        return ok(**body)

    def list_products(self, request: httpx.Request, _p: dict[str, str]) -> httpx.Response:
        return self._page(self._products(), request, "products")

    def get_product(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return ok(product=public(self._product(params)))

    def create_product(self, request: httpx.Request, _p: dict[str, str]) -> httpx.Response:
        self._missing_on_older_accounts(request)
        fields = _fields(request)
        name, price = _one(fields, "name"), _one(fields, "price")
        if not name:
            return refused("Name can't be blank")
        if price is None or not price.isdigit():
            return refused("Price must be a whole number of cents")
        product = self.world.add_product(
            name,
            int(price),
            published=False,  # Gumroad creates drafts
            description=_one(fields, "description") or "",
            currency=_one(fields, "price_currency_type") or "usd",
            tags=fields.get("tags[]", []),
            native_type=_one(fields, "native_type") or "digital",
        )
        return ok(product=public(product))

    def update_product(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        self._missing_on_older_accounts(request)
        product = self._product(params)
        fields = _fields(request)
        price = _one(fields, "price")
        if price is not None and not price.isdigit():
            return refused("Price must be a whole number of cents")
        for wire in ("name", "description", "native_type", "custom_permalink", "custom_summary"):
            value = _one(fields, wire)
            if value is not None:
                product[wire] = value
        if price is not None:
            product["price"] = int(price)
        if "tags[]" in fields:
            product["tags"] = fields["tags[]"]
        return ok(product=public(product))

    def enable(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        product = self._product(params)
        product["published"] = True
        return ok(product=public(product))

    def disable(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        product = self._product(params)
        product["published"] = False
        return ok(product=public(product))

    def delete_product(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        self._product(params)["deleted"] = True
        return ok(message="The product was deleted successfully.")

    def list_sales(self, request: httpx.Request, _p: dict[str, str]) -> httpx.Response:
        sales = self._sales()
        days: dict[str, str] = {}
        for name in ("after", "before"):
            raw = request.url.params.get(name)
            if raw is None:
                continue
            try:
                days[name] = date.fromisoformat(raw).isoformat()
            except ValueError:
                return bad_request(
                    f"Invalid date format provided in field '{name}'. Dates must be in the format YYYY-MM-DD."
                )
        if "after" in days:  # inclusive
            sales = [s for s in sales if s["created_at"][:10] >= days["after"]]
        if "before" in days:  # exclusive
            sales = [s for s in sales if s["created_at"][:10] < days["before"]]
        product_id = request.url.params.get("product_id")
        if product_id:
            sales = [s for s in sales if s["product_id"] == product_id]
        return self._page(sales, request, "sales")

    def get_sale(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return ok(sale=public(self._sale(params)))

    def mark_as_shipped(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        sale = self._sale(params)
        sale["shipped"] = True
        tracking = _one(_fields(request), "tracking_url")
        if tracking:
            sale["tracking_url"] = tracking
        return ok(sale=public(sale))

    def refund(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        sale = self._sale(params)
        raw = _one(_fields(request), "amount_cents")
        if raw is not None and not raw.isdigit():
            return refused("amount_cents must be a whole number of cents")
        message = self.world.refund(sale, int(raw) if raw is not None else None)
        return refused(message) if message else ok(sale=public(sale))

    def list_subscriptions(self, request: httpx.Request, _p: dict[str, str]) -> httpx.Response:
        resource = request.url.params.get("resource_name")
        if resource not in RESOURCES:
            return refused("Valid resource_name parameter required")
        found = [s for s in self.world.subscriptions.values() if s["resource_name"] == resource]
        return ok(resource_subscriptions=found)

    def subscribe(self, request: httpx.Request, _p: dict[str, str]) -> httpx.Response:
        fields = _fields(request)
        resource, post_url = _one(fields, "resource_name") or "", _one(fields, "post_url") or ""
        parts = urlsplit(post_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return refused(f"Invalid post URL '{post_url}'")
        if resource not in RESOURCES:
            return refused(f"Unable to subscribe to '{resource}'.")
        return ok(resource_subscription=self.world.subscribe(resource, post_url))

    def unsubscribe(self, _r: httpx.Request, params: dict[str, str]) -> httpx.Response:
        if self.world.subscriptions.pop(params["id"], None) is None:
            return refused("The resource_subscription was not found.")
        return ok(message="The resource_subscription was deleted successfully.")


TRACKING = "https://tracking.example.test/1Z999"
_ROUTES: RouteTable[_Handler] = RouteTable(
    [
        ("GET", "/products", GumroadSandbox.list_products),
        ("POST", "/products", GumroadSandbox.create_product),
        ("GET", "/products/{id}", GumroadSandbox.get_product),
        ("PUT", "/products/{id}", GumroadSandbox.update_product),
        ("DELETE", "/products/{id}", GumroadSandbox.delete_product),
        ("PUT", "/products/{id}/enable", GumroadSandbox.enable),
        ("PUT", "/products/{id}/disable", GumroadSandbox.disable),
        ("GET", "/sales", GumroadSandbox.list_sales),
        ("GET", "/sales/{id}", GumroadSandbox.get_sale),
        ("PUT", "/sales/{id}/mark_as_shipped", GumroadSandbox.mark_as_shipped),
        ("PUT", "/sales/{id}/refund", GumroadSandbox.refund),
        ("GET", "/resource_subscriptions", GumroadSandbox.list_subscriptions),
        ("PUT", "/resource_subscriptions", GumroadSandbox.subscribe),
        ("DELETE", "/resource_subscriptions/{id}", GumroadSandbox.unsubscribe),
    ],
    missing=plain_missing,
)
