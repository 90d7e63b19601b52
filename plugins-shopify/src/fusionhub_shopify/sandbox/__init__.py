"""A stateful fake Shopify for tests, the conformance kit, demos and benchmarks.

    sandbox = ShopifySandbox(clock, plan="standard", products=25)
    client transport: sandbox.transport(); store config: sandbox.store_config()

It answers the plugin's GraphQL documents through graphql-core against its own slice of the
Admin schema, charges the cost bucket of the store's plan on the given clock, runs bulk
operations that take time, accepts staged uploads, signs the webhooks its changes cause, and
fails on request (`sandbox.faults.inject("5xx" | "timeout" | "reset" | "lost" | "malformed" | "internal")`).
Built on core's sandbox toolkit (`fusionhub.sandbox`); its app is core's fixed sandbox credentials.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from fusionhub.plugin import Capability, Clock, SandboxBase, SignedDelivery
from fusionhub_shopify.config import DEFAULT_API_VERSION
from fusionhub_shopify.sandbox import schema as sandbox_schema
from fusionhub_shopify.sandbox.auth import SandboxAuth
from fusionhub_shopify.sandbox.bulk import BulkRunner
from fusionhub_shopify.sandbox.faults import shopify_faults
from fusionhub_shopify.sandbox.samples import sample_params
from fusionhub_shopify.sandbox.server import Server
from fusionhub_shopify.sandbox.state import ShopState, iso, seed
from fusionhub_shopify.webhooks.signature import sign

# Restore rates (points/s) by plan; the bucket holds 20 seconds' worth.
PLANS = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
_SCOPES = ("read_products", "write_products", "read_inventory", "write_inventory", "read_orders", "write_orders")
SCOPES = ",".join((*_SCOPES, "write_merchant_managed_fulfillment_orders"))


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook the sandbox sent (or would send) to a subscribed callback URL."""

    url: str
    headers: dict[str, str]
    body: bytes


class ShopifySandbox(SandboxBase):
    slug = "shopify"
    # The shop kept between processes for a sandbox store; the schema, the servers and the cost
    # bucket are code or per-process mechanism.
    persistent = (
        "plan",
        "restore_rate",
        "shop",
        "api_version",
        "deliveries",
        "auth",
        "state",
        "server.keys",
        "bulk.results",
    )

    def __init__(
        self,
        clock: Clock,
        *,
        plan: str = "standard",
        products: int = 12,
        orders: int = 6,
        variants_per_product: int = 2,
        seed_value: int = 7,
        api_version: str = DEFAULT_API_VERSION,
        expiring_tokens: bool = False,
        shop: str = "sandbox-shop.myshopify.com",
        bulk_objects_per_second: float = 2000.0,
        bulk_mutations_per_second: float = 50.0,
    ) -> None:
        super().__init__(clock, faults=shopify_faults())
        self.plan = plan
        self.restore_rate = PLANS[plan]
        self.shop = shop
        self.api_version = api_version
        self.deliveries: list[Delivery] = []
        self.auth = SandboxAuth(clock, scopes=SCOPES, expiring=expiring_tokens)
        self.state = ShopState(clock)
        seed(
            self.state,
            products=products,
            orders=orders,
            variants_per_product=variants_per_product,
            seed_value=seed_value,
        )
        self.schema = sandbox_schema.load()
        self.bulk = BulkRunner(
            self.state,
            self.schema,
            self._context,
            objects_per_second=bulk_objects_per_second,
            mutations_per_second=bulk_mutations_per_second,
        )
        sandbox_schema.attach(self.schema, self.bulk)
        self.server = Server(self, self.state, self.schema, self.bulk, self._context)
        self.bucket = self.server.limits

    @property
    def bucket_capacity(self) -> float:
        return self.server.bucket.capacity

    def minimum_seconds(self) -> float:
        """The least time the points served so far could have taken: a full bucket, then the restore rate."""
        return max(0.0, self.server.points_spent - self.bucket_capacity) / self.restore_rate

    def _context(self, bulk: bool) -> dict[str, Any]:
        return {"state": self.state, "bulk": bulk, "version": self.api_version, "advance": self.bulk.advance}

    # --- the Sandbox protocol ---------------------------------------------------------------

    def serve(self, request: httpx.Request) -> httpx.Response:
        return self.server.serve(request)

    def credentials(self) -> dict[str, str]:
        return self.auth.credentials()

    def store_config(self) -> dict[str, Any]:
        return {"shop": self.shop, "api_version": self.api_version}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        return sample_params(self.state, Capability(capability))

    # --- webhooks -----------------------------------------------------------------------------

    def signed(
        self, topic: str, payload: dict[str, Any], *, webhook_id: str | None = None, secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A delivery of `topic` as Shopify sends it: raw JSON body, signed headers."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.shop,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": iso(self.clock.now()),
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Hmac-Sha256": sign(body, secret or self.auth.client_secret),
        }
        return headers, body

    def signed_delivery(self) -> SignedDelivery:
        """An orders/create delivery signed with the app's client secret (the conformance kit's check)."""
        headers, body = self.signed("orders/create", {"id": 1, "name": "#1001", "total_price": "10.00"})
        return SignedDelivery(headers, body)

    def deliver_events(self) -> None:
        """Turn the state's pending events into signed deliveries for the subscribed topics."""
        events, self.state.events = self.state.events, []
        for topic, payload in events:
            enum = topic.replace("/", "_").upper()
            for sub in self.state.webhooks.values():
                if sub["topic"] == enum:
                    headers, body = self.signed(topic, payload)
                    self.deliveries.append(Delivery(sub["callbackUrl"], headers, body))
