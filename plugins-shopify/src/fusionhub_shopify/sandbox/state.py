"""The fake shop's data: products, variants, inventory, orders, webhooks, bulk operations.

Objects are dicts shaped like the GraphQL types (plain fields read by graphql-core's default
resolver); keys starting with `_` hold links and raw numbers the resolvers compute from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fusionhub.plugin import Clock

GID = "gid://shopify/"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bag(value: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": format(value, "f"), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


def number(gid: str) -> int:
    try:
        return int(str(gid).rsplit("/", 1)[-1].split("?", 1)[0])
    except ValueError:
        return -1


@dataclass
class ShopState:
    clock: Clock
    currency: str = "USD"
    next_id: int = 1000
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    bulk_operations: dict[int, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (topic, payload) to deliver
    location: dict[str, Any] = field(
        default_factory=lambda: {"__typename": "Location", "id": f"{GID}Location/1", "name": "Warehouse"}
    )

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def now(self) -> str:
        return iso(self.clock.now())

    # --- products ---------------------------------------------------------------------------

    def add_product(
        self,
        title: str,
        *,
        status: str = "ACTIVE",
        options: list[dict[str, Any]] | None = None,
        vendor: str = "",
        product_type: str = "",
        tags: list[str] | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        pid = self.new_id()
        product = {
            "__typename": "Product",
            "id": f"{GID}Product/{pid}",
            "title": title,
            "descriptionHtml": description,
            "status": status,
            "vendor": vendor,
            "productType": product_type,
            "handle": "-".join(title.lower().split()) + f"-{pid}",
            "tags": list(tags or []),
            "createdAt": self.now(),
            "updatedAt": self.now(),
            "options": [
                {
                    "id": f"{GID}ProductOption/{self.new_id()}",
                    "name": o["name"],
                    "position": i + 1,
                    "values": list(o["values"]),
                }
                for i, o in enumerate(options or [{"name": "Title", "values": ["Default Title"]}])
            ],
            "_variants": [],
        }
        self.products[pid] = product
        return product

    def add_variant(
        self,
        product: dict[str, Any],
        selected: list[dict[str, str]],
        *,
        price: str = "0.00",
        sku: str | None = None,
        available: int = 0,
        tracked: bool = True,
        compare_at: str | None = None,
        barcode: str | None = None,
    ) -> dict[str, Any]:
        vid, iid = self.new_id(), self.new_id()
        item = {
            "__typename": "InventoryItem",
            "id": f"{GID}InventoryItem/{iid}",
            "tracked": tracked,
            "_levels": {self.location["id"]: {"available": available, "updatedAt": self.now()}},
        }
        variant = {
            "__typename": "ProductVariant",
            "id": f"{GID}ProductVariant/{vid}",
            "sku": sku,
            "title": " / ".join(o["value"] for o in selected),
            "price": price,
            "compareAtPrice": compare_at,
            "barcode": barcode,
            "availableForSale": True,
            "selectedOptions": selected,
            "_product": product,
            "_item": item,
        }
        item["_variant"] = variant
        product["_variants"].append(variant)
        self.variants[vid] = variant
        self.items[iid] = item
        return variant

    def remove_variant(self, variant: dict[str, Any]) -> None:
        variant["_product"]["_variants"].remove(variant)
        self.variants.pop(number(variant["id"]), None)
        self.items.pop(number(variant["_item"]["id"]), None)

    def remove_product(self, product: dict[str, Any]) -> None:
        for variant in list(product["_variants"]):
            self.remove_variant(variant)
        self.products.pop(number(product["id"]), None)

    # --- orders -------------------------------------------------------------------------------

    def add_order(self, lines: list[tuple[dict[str, Any], int]], *, paid: bool = True) -> dict[str, Any]:
        oid = self.new_id()
        line_items = []
        total = Decimal("0")
        for variant, quantity in lines:
            price = Decimal(variant["price"])
            total += price * quantity
            line_items.append(
                {
                    "__typename": "LineItem",
                    "id": f"{GID}LineItem/{self.new_id()}",
                    "sku": variant["sku"],
                    "title": variant["_product"]["title"],
                    "quantity": quantity,
                    "variant": variant,
                    "product": variant["_product"],
                    "_price": price,
                    "_refunded": 0,
                }
            )
        order: dict[str, Any] = {
            "__typename": "Order",
            "id": f"{GID}Order/{oid}",
            "name": f"#{1000 + len(self.orders) + 1}",
            "createdAt": self.now(),
            "updatedAt": self.now(),
            "cancelledAt": None,
            "closed": False,
            "email": f"buyer{oid}@example.com",
            "shippingAddress": {
                "name": "Sam Buyer",
                "address1": "1 Main St",
                "address2": None,
                "city": "Ottawa",
                "provinceCode": "ON",
                "zip": "K1A 0B1",
                "countryCodeV2": "CA",
            },
            "_financial": "PAID" if paid else "PENDING",
            "_fulfillment": "UNFULFILLED",
            "_total": total,
            "_refunded": Decimal("0"),
            "_lines": line_items,
            "_fulfillments": [],
            "_fulfillment_orders": [{"id": f"{GID}FulfillmentOrder/{self.new_id()}", "status": "OPEN"}],
            "_refunds": [],
            "_transactions": [],
        }
        if paid:
            order["_transactions"].append(self.sale(total))
        self.orders[oid] = order
        return order

    def sale(self, amount: Decimal) -> dict[str, Any]:
        return {
            "id": f"{GID}OrderTransaction/{self.new_id()}",
            "kind": "SALE",
            "gateway": "manual",
            "amountSet": bag(amount, self.currency),
        }

    def touch(self, obj: dict[str, Any]) -> None:
        obj["updatedAt"] = self.now()

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        self.events.append((topic, payload))


WORDS = ("Linen", "Canvas", "Wool", "Cotton", "Denim", "Silk", "Hemp", "Cedar", "Slate", "Amber")
KINDS = ("Shirt", "Tote", "Scarf", "Cap", "Apron", "Mug", "Poster", "Notebook")
SIZES = ("S", "M", "L", "XL")


def seed(state: ShopState, *, products: int, orders: int, variants_per_product: int, seed_value: int) -> None:
    """A deterministic catalog: products with a Size option, stocked variants, paid orders."""
    rng = random.Random(seed_value)
    for n in range(products):
        title = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {n + 1}"
        sizes = list(SIZES[: max(1, min(variants_per_product, len(SIZES)))])
        product = state.add_product(
            title,
            options=[{"name": "Size", "values": sizes}],
            vendor="Sandbox Goods",
            product_type="Apparel",
            tags=["sandbox"],
        )
        for size in sizes:
            price = f"{rng.randint(5, 80)}.{rng.choice(('00', '50', '99'))}"
            state.add_variant(
                product,
                [{"name": "Size", "value": size}],
                price=price,
                sku=f"SKU-{n + 1}-{size}",
                available=rng.randint(0, 40),
            )
    variants = list(state.variants.values())
    for _ in range(orders if variants else 0):
        picks = rng.sample(variants, k=min(len(variants), rng.randint(1, 3)))
        state.add_order([(v, rng.randint(1, 3)) for v in picks], paid=rng.random() > 0.2)
