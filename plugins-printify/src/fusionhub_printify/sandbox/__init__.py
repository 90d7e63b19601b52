"""A stateful, in-process fake of Printify's REST API v1 on the fusionhub clock, on core's sandbox toolkit.

Real response shapes and status codes; the catalog (blueprints, print providers, variants);
uploads by URL; products with the publishing lock (400, code 8252, until the sales channel
acknowledges); orders moving through production to shipment as time passes; webhook
subscriptions whose deliveries are signed like Printify's and kept in `deliveries`; and the real
limits per account (600/min, catalog 100/min, publishing 200 per 30 min) with 429s. Its first
account is core's fixed sandbox token with two shops; `add_account()` makes another.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from fusionhub.plugin import SANDBOX_ACCESS_TOKEN, Capability, Clock, Faults, RouteTable, SandboxBase, SignedDelivery
from fusionhub_printify import unverified
from fusionhub_printify.endpoints import API_HOST, BASE_URL, OPERATIONS, Operation
from fusionhub_printify.sandbox import catalog, limits
from fusionhub_printify.sandbox.replies import Json, error, missing, not_found
from fusionhub_printify.sandbox.routes import HANDLERS
from fusionhub_printify.sandbox.world import Account, Delivery, World, stamp
from fusionhub_printify.webhooks import sign

API_PREFIX = urlsplit(BASE_URL).path  # "/v1/"
SHOP_ID, SECOND_SHOP_ID = 8_806_001, 8_806_002
WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105 (the sandbox's own, reaches no platform)
DESIGN_URL = "https://designs.example.com/sandbox-logo.png"
ROUTES = RouteTable([(op.method, op.path, op) for op in OPERATIONS.values()], missing=missing)

__all__ = ["SECOND_SHOP_ID", "SHOP_ID", "WEBHOOK_SECRET", "Delivery", "PrintifySandbox"]


class PrintifySandbox(SandboxBase):
    slug = "printify"
    transient = frozenset({"classes"})  # endpoint-class buckets hold code; per process, as the toolkit's bucket

    def __init__(
        self,
        clock: Clock,
        *,
        products: int = 6,
        orders: int = 3,
        per_minute: int = 600,
        catalog_per_minute: int = 100,
        publishing_per_30_min: int = 200,
        production_after: float = 600.0,
        ship_after: float = 86_400.0,
    ) -> None:
        account, classes = limits.account_buckets(
            clock,
            self._account_key,
            per_minute=per_minute,
            catalog=catalog_per_minute,
            publishing=publishing_per_30_min,
        )
        super().__init__(clock, faults=Faults(error=error), bucket=account)
        self.classes = classes
        self.world = World()
        self.production_after, self.ship_after = production_after, ship_after
        self.in_production: dict[str, float] = {}  # order id → when it was sent to production
        first = self._new_account(SANDBOX_ACCESS_TOKEN)
        self.world.add_shop(first, SHOP_ID, "Sandbox Pop-Up")
        self.world.add_shop(first, SECOND_SHOP_ID, "Sandbox Outlet")
        self._seed(SHOP_ID, products, orders)
        self._seed(SECOND_SHOP_ID, products, 0)

    # --- the Sandbox protocol ----------------------------------------------------------------

    @property
    def throttled(self) -> int:
        return self.bucket.throttled + sum(b.throttled for b in self.classes.values())

    def credentials(self) -> dict[str, str]:
        return {"access_token": SANDBOX_ACCESS_TOKEN, "webhook_secret": WEBHOOK_SECRET}

    def store_config(self) -> dict[str, Any]:
        return {"shop_id": SHOP_ID}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        products = [p for p in self.world.products[SHOP_ID].values() if not p["is_locked"]]
        first = products[0] if products else None
        pid = first["id"] if first else None
        enabled = [v for v in first["variants"] if v["is_enabled"]] if first else []
        disabled = [v for v in first["variants"] if not v["is_enabled"]] if first else []
        on_hold = next((o for o in self.world.orders[SHOP_ID].values() if o["status"] == "on-hold"), None)
        any_order = next(iter(self.world.orders[SHOP_ID].values()), None)
        samples: dict[Capability, dict[str, Any] | None] = {
            Capability.LIST_PRODUCTS: {"limit": 2},
            Capability.GET_PRODUCT: {"product_id": pid} if pid else None,
            Capability.CREATE_PRODUCT: {
                "product": {
                    "title": "Sandbox tee",
                    "description": "Soft cotton, printed to order.",
                    "tags": ["tee"],
                    "variants": [
                        {"options": {"color": "White", "size": size}, "price": {"amount": "24.00", "currency": "USD"}}
                        for size in ("S", "M")
                    ],
                    "images": [{"url": DESIGN_URL}],
                    "platform_fields": {"blueprint_id": 12, "print_provider_id": 29},
                }
            },
            Capability.UPDATE_PRODUCT: {"product_id": pid, "changes": {"title": "Renamed tee"}} if pid else None,
            Capability.DELETE_PRODUCT: {"product_id": pid, "permanent": True} if pid else None,
            Capability.BULK_UPDATE: {
                "items": [
                    {"product_id": p["id"], "changes": {"title": f"Bulk {i}"}} for i, p in enumerate(products[:3])
                ]
            }
            if products
            else None,
            Capability.SYNC_INVENTORY: {
                "levels": [
                    {"product_id": pid, "variant_id": str(enabled[0]["id"]), "quantity": 0},
                    {"product_id": pid, "variant_id": str(enabled[-1]["id"]), "quantity": 10},
                    *([{"product_id": pid, "variant_id": str(disabled[0]["id"]), "quantity": 5}] if disabled else []),
                ]
            }
            if enabled
            else None,
            Capability.GET_INVENTORY: {"product_id": pid} if pid else None,
            Capability.UPDATE_VARIANT_INVENTORY: {
                "target": {"product_id": pid, "variant_id": str(enabled[0]["id"]), "quantity": 0}
            }
            if enabled
            else None,
            Capability.LIST_ORDERS: {"limit": 2},
            Capability.GET_ORDER: {"order_id": any_order["id"]} if any_order else None,
            Capability.UPDATE_ORDER_STATUS: {"order_id": on_hold["id"], "action": "fulfill"} if on_hold else None,
            Capability.PROCESS_REFUND: None,
            Capability.WEBHOOKS: {
                "action": "subscribe",
                "topics": ["order:created", "order:shipment:created"],
                "callback_url": "https://hub.example.com/webhooks/printify",
            },
            Capability.BULK_OPERATIONS: {"kind": "export_products"},
        }
        return samples[Capability(capability)]

    # --- controls for tests --------------------------------------------------------------------

    def add_account(self) -> tuple[dict[str, str], dict[str, Any]]:
        """Another Printify account with one shop: its credentials and store config (its own budget)."""
        token = f"{SANDBOX_ACCESS_TOKEN}-{len(self.world.accounts) + 1}"
        account = self._new_account(token)
        shop_id = SECOND_SHOP_ID + account.id
        self.world.add_shop(account, shop_id, f"Sandbox shop {account.id}")
        self._seed(shop_id, 3, 0)
        return {"access_token": token, "webhook_secret": WEBHOOK_SECRET}, {"shop_id": shop_id}

    def add_order(self, shop_id: int = SHOP_ID) -> Json:
        return self.world.new_order(shop_id, self.clock.now())

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery made so far, as Printify would POST it."""
        return self.world.deliveries

    def signed_delivery(self) -> SignedDelivery:
        """An order:created delivery for the sandbox shop, signed with its webhook secret (the kit's check)."""
        event = {
            "id": self.world.new_id(),
            "type": "order:created",
            "created_at": self.stamp(),
            "resource": {"id": self.world.new_id(), "type": "order", "data": {"shop_id": SHOP_ID, "status": "on-hold"}},
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", unverified.SIGNATURE_HEADERS[0]: sign(body, WEBHOOK_SECRET)}
        return SignedDelivery(headers, body)

    def stamp(self) -> str:
        return stamp(self.clock.now())

    def advance_world(self) -> None:
        """Orders sent to production are made after `production_after` s and shipped `ship_after` s later."""
        now = self.clock.now()
        for order_id, sent in list(self.in_production.items()):
            shop_id, order = next((s, o[order_id]) for s, o in self.world.orders.items() if order_id in o)
            if order["status"] == "sending-to-production" and now >= sent + self.production_after:
                self.world.set_order_status(shop_id, order, "in-production", sent + self.production_after)
            if order["status"] == "in-production" and now >= sent + self.production_after + self.ship_after:
                shipped = sent + self.production_after + self.ship_after
                number = f"9400{int(shipped):012d}"
                order["shipments"] = [
                    {"carrier": "usps", "number": number, "url": f"https://tools.usps.com/go/?t={number}"}
                ]
                order["fulfilled_at"] = stamp(shipped)
                self.world.set_order_status(shop_id, order, "fulfilled", shipped, "order:shipment:created")
                del self.in_production[order_id]

    # --- lookups the handlers share ------------------------------------------------------------

    def account_of(self, request: httpx.Request) -> Account:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return self.world.accounts[token]

    def shop_id(self, ids: dict[str, str]) -> int:
        return int(ids["shop_id"])

    def shop_products(self, ids: dict[str, str]) -> dict[str, Json]:
        return self.world.products[self.shop_id(ids)]

    def shop_orders(self, ids: dict[str, str]) -> dict[str, Json]:
        return self.world.orders[self.shop_id(ids)]

    def shop_webhooks(self, ids: dict[str, str]) -> dict[str, Json]:
        return self.world.webhooks[self.shop_id(ids)]

    def product(self, ids: dict[str, str]) -> Json:
        found = self.shop_products(ids).get(ids["product_id"])
        if found is None:
            raise not_found("Product")
        return found

    def order(self, ids: dict[str, str]) -> Json:
        found = self.shop_orders(ids).get(ids["order_id"])
        if found is None:
            raise not_found("Order")
        return found

    # --- the wire --------------------------------------------------------------------------------

    def _account_key(self, request: httpx.Request) -> str:
        return str(self.account_of(request).id)

    def _new_account(self, token: str) -> Account:
        account = Account(len(self.world.accounts) + 1)
        self.world.accounts[token] = account
        return account

    def _seed(self, shop_id: int, products: int, orders: int) -> None:
        now = self.clock.now() - 86_400
        upload = self.world.new_id()
        self.world.uploads[upload] = {"id": upload, "file_name": "seed.png", "upload_time": stamp(now)}
        for i in range(products):
            blueprint, provider = (68, 1) if i % 3 == 2 else (12, 29)
            variants = [v for v in catalog.VARIANTS[(blueprint, provider)] if "Black" not in v["title"]]
            body = {
                "title": f"Sandbox {catalog.BLUEPRINTS[blueprint]['title']} {i + 1}",
                "description": "A product of the Printify sandbox.",
                "blueprint_id": blueprint,
                "print_provider_id": provider,
                "variants": [{"id": v["id"], "price": 2000 + 100 * i, "is_enabled": True} for v in variants],
                "print_areas": [
                    {
                        "variant_ids": [v["id"] for v in variants],
                        "placeholders": [
                            {
                                "position": "front",
                                "images": [{"id": upload, "x": 0.5, "y": 0.5, "scale": 1, "angle": 0}],
                            }
                        ],
                    }
                ],
            }
            self.world.new_product(shop_id, body, now + i)
        for _ in range(orders):
            self.world.new_order(shop_id, now + 3600)

    def serve(self, request: httpx.Request) -> httpx.Response:
        self.advance_world()
        path = request.url.path
        if request.url.host != API_HOST or not path.startswith(API_PREFIX):
            return error(404, "Not found.")
        token = request.headers.get("authorization", "")
        if not token.startswith("Bearer ") or token.removeprefix("Bearer ") not in self.world.accounts:
            return error(401, "Unauthenticated.")
        if not request.headers.get("user-agent"):
            return error(400, "Printify requires a User-Agent header.")
        refused = self.bucket.admit(request)
        if refused is not None:
            return refused
        route, ids = ROUTES.find(request.method, path[len(API_PREFIX) :])
        operation: Operation = route.handler
        if "shop_id" in ids and (
            not ids["shop_id"].isdigit() or int(ids["shop_id"]) not in self.account_of(request).shops
        ):
            return error(403, "This shop does not belong to the account.")
        if operation.endpoint_class is not None:
            refused = self.classes[operation.endpoint_class].admit(request)
            if refused is not None:
                return refused
        return self.faults.apply(operation.id, request, lambda: HANDLERS[operation.id](self, request, ids))
