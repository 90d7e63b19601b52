"""The sandbox's Gumroad account: products, sales with refunds, resource subscriptions, deliveries.

State is kept in Gumroad's own wire shapes (API v2 JSON; ping form fields), so the HTTP layer
only selects and serializes. Every sale or refund is delivered to the subscriptions of its
resource as Gumroad does: a form-encoded POST to the subscription's post_url, unsigned.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from fusionhub.plugin import Clock

Json = dict[str, Any]
SELLER_ID = "c2FuZGJveC1zZWxsZXI="
RESOURCES = (
    "sale",
    "refund",
    "dispute",
    "dispute_won",
    "cancellation",
    "subscription_updated",
    "subscription_ended",
    "subscription_restarted",
)
# Gumroad retries a delivery the receiver did not accept after these many seconds (API-FACTS §5).
RETRY_DELAYS = (60.0, 180.0, 600.0)


def _external_id(kind: str, n: int) -> str:
    """An id shaped like Gumroad's (URL-safe base64, often with `=` padding)."""
    return base64.urlsafe_b64encode(f"{kind}-{n:05d}".encode()).decode()


@dataclass
class Delivery:
    """One POST Gumroad makes to a post_url, and when (retries come later, identical)."""

    request: httpx.Request
    resource: str
    at: float
    attempt: int = 1

    @property
    def url(self) -> str:
        """The path and query the receiving host sees."""
        parts = urlsplit(str(self.request.url))
        return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class World:
    clock: Clock
    products: dict[str, Json] = field(default_factory=dict)
    sales: dict[str, Json] = field(default_factory=dict)
    subscriptions: dict[str, Json] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _seq: int = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def now_iso(self) -> str:
        return (
            datetime.fromtimestamp(self.clock.now(), tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )

    # --- products -----------------------------------------------------------------------------

    def add_product(self, name: str, price: int, *, published: bool = True, **extra: Any) -> Json:
        n = self._next()
        permalink = f"sbx{n:04d}"
        product: Json = {
            "id": _external_id("product", n),
            "name": name,
            "description": extra.pop("description", f"<p>{name}</p>"),
            "price": price,
            "currency": extra.pop("currency", "usd"),
            "published": published,
            "custom_permalink": extra.pop("custom_permalink", None),
            "short_url": f"https://sandbox.gumroad.com/l/{permalink}",
            "tags": list(extra.pop("tags", [])),
            "variants": extra.pop("variants", []),
            "native_type": extra.pop("native_type", "digital"),
            "deleted": False,
            "sales_count": 0,
            "_created": self.clock.now(),
            "_order": n,
            **extra,
        }
        self.products[product["id"]] = product
        return product

    # --- sales --------------------------------------------------------------------------------

    def sell(self, product_id: str, email: str = "buyer@example.test", *, full_name: str = "Sam Buyer") -> Json:
        """A purchase: a new sale, delivered to the `sale` subscriptions."""
        product = self.products[product_id]
        n = self._next()
        sale: Json = {
            "id": _external_id("sale", n),
            "email": email,
            "seller_id": SELLER_ID,
            "created_at": self.now_iso(),
            "product_id": product_id,
            "product_name": product["name"],
            "price": product["price"],
            "gumroad_fee": product["price"] // 10,
            "currency_symbol": "$",
            "refunded": False,
            "partially_refunded": False,
            "chargedback": False,
            "paid": product["price"] != 0,
            "quantity": 1,
            "order_id": 100_000 + n,
            "full_name": full_name,
            "is_product_physical": False,
            "_refunded_cents": 0,
            "_created": self.clock.now(),
            "_order": n,
        }
        self._refundable(sale)
        self.sales[sale["id"]] = sale
        product["sales_count"] += 1
        self.deliver("sale", sale)
        return sale

    @staticmethod
    def _refundable(sale: Json) -> None:
        left = Decimal(sale["price"] - sale["_refunded_cents"]) / 100
        sale["amount_refundable_in_currency"] = f"{left:.2f}"

    def refund(self, sale: Json, amount_cents: int | None) -> str | None:
        """Refund the sale (whole, or `amount_cents` of it); the refusal message, or None."""
        if sale["refunded"]:
            return "Purchase is already refunded."
        left = sale["price"] - sale["_refunded_cents"]
        amount = left if amount_cents is None else amount_cents
        if amount <= 0 or amount > left:
            return "Refund amount must be more than 0 and at most the refundable amount."
        sale["_refunded_cents"] += amount
        sale["refunded"] = sale["_refunded_cents"] >= sale["price"]
        sale["partially_refunded"] = not sale["refunded"]
        self._refundable(sale)
        self.deliver("refund", sale)
        return None

    # --- deliveries ---------------------------------------------------------------------------

    def ping_fields(self, resource: str, sale: Json) -> list[tuple[str, str]]:
        """A sale as Gumroad's ping posts it: flat form fields, nested ones as `card[visual]`."""
        product = self.products.get(sale["product_id"], {})
        fields = {
            "seller_id": sale["seller_id"],
            "product_id": sale["product_id"],
            "product_name": sale["product_name"],
            "product_permalink": product.get("short_url", ""),
            "email": sale["email"],
            "price": str(sale["price"]),
            "gumroad_fee": str(sale["gumroad_fee"]),
            "currency": product.get("currency", "usd"),
            "quantity": str(sale["quantity"]),
            "order_number": str(sale["order_id"]),
            "sale_id": sale["id"],
            "sale_timestamp": sale["created_at"],
            "full_name": sale["full_name"],
            "card[visual]": "**** **** **** 4242",
            "card[type]": "visa",
            "refunded": "true" if sale["refunded"] else "false",
            "disputed": "false",
            "dispute_won": "false",
            "resource_name": resource,
        }
        return list(fields.items())

    def deliver(self, resource: str, sale: Json) -> None:
        body = urlencode(self.ping_fields(resource, sale)).encode()
        for subscription in self.subscriptions.values():
            if subscription["resource_name"] == resource:
                request = httpx.Request(
                    "POST",
                    subscription["post_url"],
                    content=body,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                self.deliveries.append(Delivery(request, resource, self.clock.now()))

    def retry(self, delivery: Delivery) -> Delivery:
        """Gumroad's next attempt at a delivery the receiver refused: the same POST, later."""
        wait = RETRY_DELAYS[min(delivery.attempt, len(RETRY_DELAYS)) - 1]
        again = Delivery(delivery.request, delivery.resource, delivery.at + wait, delivery.attempt + 1)
        self.deliveries.append(again)
        return again

    # --- subscriptions ------------------------------------------------------------------------

    def subscribe(self, resource: str, post_url: str) -> Json:
        n = self._next()
        subscription = {"id": _external_id("subscription", n), "resource_name": resource, "post_url": post_url}
        self.subscriptions[subscription["id"]] = subscription
        return subscription


def public(record: Json) -> Json:
    """A record as the API shows it (the sandbox's own bookkeeping fields start with `_`)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
