"""The sandbox's state: accounts, shops, uploads, products, orders, webhooks and signed deliveries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fusionhub_printify import unverified
from fusionhub_printify.sandbox import catalog
from fusionhub_printify.webhooks import sign

Json = dict[str, Any]


@dataclass
class Delivery:
    """One webhook POST Printify would send: to `url`, these headers, this exact body."""

    url: str
    topic: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Account:
    id: int
    shops: set[int] = field(default_factory=set)


def stamp(now: float) -> str:
    """Printify's time format: "2026-12-02 05:00:00+00:00"."""
    return datetime.fromtimestamp(now, tz=UTC).isoformat(sep=" ", timespec="seconds")


class World:
    def __init__(self, seed: int = 0x5D39) -> None:
        self._last_id = 0  # a plain number, not an iterator: the world is kept between processes
        self._seed = seed
        self.accounts: dict[str, Account] = {}  # token → account
        self.shops: dict[int, Json] = {}
        self.uploads: dict[str, Json] = {}
        self.products: dict[int, dict[str, Json]] = {}
        self.orders: dict[int, dict[str, Json]] = {}
        self.webhooks: dict[int, dict[str, Json]] = {}
        self.deliveries: list[Delivery] = []

    def new_id(self) -> str:
        """A 24-hex-digit id, like Printify's."""
        self._last_id += 1
        return f"{self._seed:08x}{self._last_id:016x}"

    def add_shop(self, account: Account, shop_id: int, title: str) -> Json:
        account.shops.add(shop_id)
        shop = {"id": shop_id, "title": title, "sales_channel": "custom_integration"}
        self.shops[shop_id] = shop
        self.products[shop_id], self.orders[shop_id], self.webhooks[shop_id] = {}, {}, {}
        return shop

    # --- products --------------------------------------------------------------------------------

    def new_product(self, shop_id: int, body: Json, now: float) -> Json:
        blueprint, provider = int(body["blueprint_id"]), int(body["print_provider_id"])
        chosen = {int(v["id"]): v for v in body["variants"]}
        pid = self.new_id()
        variants = []
        for v in catalog.VARIANTS[(blueprint, provider)]:
            asked = chosen.get(v["id"])
            variants.append(
                {
                    "id": v["id"],
                    "sku": f"{pid[-6:].upper()}-{v['id']}",
                    "cost": v["cost"],
                    "price": int(asked["price"]) if asked else v["cost"] * 2,
                    "title": v["title"],
                    "grams": 180,
                    "is_enabled": bool(asked.get("is_enabled", True)) if asked else False,
                    "is_default": False,
                    "is_available": True,
                    "options": list(v["option_ids"]),
                }
            )
        enabled = [v["id"] for v in variants if v["is_enabled"]]
        product = {
            "id": pid,
            "title": body["title"],
            "description": body.get("description", ""),
            "tags": list(body.get("tags") or []),
            "options": catalog.option_lists(catalog.VARIANTS[(blueprint, provider)]),
            "variants": variants,
            "images": [
                {
                    "src": f"https://images-api.printify.com/mockup/{pid}/{vid}/front.jpg",
                    "variant_ids": [vid],
                    "position": "front",
                    "is_default": i == 0,
                }
                for i, vid in enumerate(enabled)
            ],
            "created_at": stamp(now),
            "updated_at": stamp(now),
            "visible": True,
            "is_locked": False,
            "blueprint_id": blueprint,
            "user_id": 1_000_000 + shop_id % 1000,
            "shop_id": shop_id,
            "print_provider_id": provider,
            "print_areas": body["print_areas"],
            "sales_channel_properties": [],
        }
        self.products[shop_id][pid] = product
        return product

    # --- orders ----------------------------------------------------------------------------------

    def new_order(self, shop_id: int, now: float, status: str = "on-hold") -> Json:
        products = list(self.products[shop_id].values())
        oid = self.new_id()
        number = 1000 + len(self.orders[shop_id]) + 1
        lines = []
        for product in products[:2]:
            variant = next(v for v in product["variants"] if v["is_enabled"])
            lines.append(
                {
                    "product_id": product["id"],
                    "quantity": 1,
                    "variant_id": variant["id"],
                    "print_provider_id": product["print_provider_id"],
                    "cost": variant["cost"],
                    "shipping_cost": 400,
                    "status": status,
                    "metadata": {
                        "title": product["title"],
                        "price": variant["price"],
                        "variant_label": variant["title"],
                        "sku": variant["sku"],
                        "country": "United States",
                    },
                }
            )
        order = {
            "id": oid,
            "address_to": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": f"buyer{number}@example.com",
                "phone": "+1 555 0100",
                "country": "US",
                "region": "NY",
                "address1": "1 Main St",
                "address2": "",
                "city": "New York",
                "zip": "10001",
            },
            "line_items": lines,
            "metadata": {"order_type": "external", "shop_order_id": number, "shop_order_label": f"#{number}"},
            "total_price": sum(line["metadata"]["price"] for line in lines),
            "total_shipping": 400 * len(lines),
            "total_tax": 0,
            "status": status,
            "shipping_method": 1,
            "shipments": [],
            "created_at": stamp(now),
        }
        self.orders[shop_id][oid] = order
        self.emit(shop_id, "order:created", oid, "order", {"shop_id": shop_id, "status": status}, now)
        return order

    def set_order_status(
        self, shop_id: int, order: Json, status: str, now: float, topic: str = "order:updated"
    ) -> None:
        order["status"] = status
        for line in order["line_items"]:
            line["status"] = status
        self.emit(shop_id, topic, order["id"], "order", {"shop_id": shop_id, "status": status}, now)

    # --- webhooks --------------------------------------------------------------------------------

    def emit(self, shop_id: int, topic: str, resource_id: str, kind: str, data: Json, now: float) -> None:
        """Deliveries of one event to every subscription of the shop to `topic`, signed like Printify's."""
        for hook in self.webhooks.get(shop_id, {}).values():
            if hook["topic"] != topic:
                continue
            event = {
                "id": self.new_id(),
                "type": topic,
                "created_at": stamp(now),
                "resource": {"id": resource_id, "type": kind, "data": data},
            }
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {"content-type": "application/json"}
            if hook.get("secret"):
                headers[unverified.SIGNATURE_HEADERS[0]] = sign(body, hook["secret"])
            self.deliveries.append(Delivery(hook["url"], topic, headers, body))
