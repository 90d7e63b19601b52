"""The fake seller's state: listings by SKU, FBA stock, orders that move on with time, feeds, documents.

Records are kept in SP-API's own shapes (Listings Items 2021-08-01, FBA inventory v1, Orders
2026-01-01, Feeds 2021-06-30) so handlers only select and page them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MFN = "DEFAULT"


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def first_value(attributes: dict[str, Any], name: str) -> Any:
    values = attributes.get(name)
    return values[0].get("value") if isinstance(values, list) and values and isinstance(values[0], dict) else None


@dataclass
class Listing:
    sku: str
    product_type: str
    attributes: dict[str, Any]
    created: float
    updated: float
    asin: str

    def quantity(self) -> int | None:
        for entry in self.attributes.get("fulfillment_availability") or []:
            if entry.get("fulfillment_channel_code") == MFN:
                return int(entry.get("quantity", 0))
        return None

    def price(self) -> tuple[Any, str] | None:
        for offer in self.attributes.get("purchasable_offer") or []:
            for price in offer.get("our_price") or []:
                for schedule in price.get("schedule") or []:
                    return schedule.get("value_with_tax"), str(offer.get("currency", "USD"))
        return None

    def status(self) -> list[str]:
        buyable = (self.quantity() or 0) > 0 and self.price() is not None
        return ["BUYABLE", "DISCOVERABLE"] if buyable else ["DISCOVERABLE"]

    def view(self, marketplace: str, included: set[str]) -> dict[str, Any]:
        """The listings item as getListingsItem answers with `includedData`."""
        item: dict[str, Any] = {"sku": self.sku}
        if "summaries" in included:
            item["summaries"] = [
                {
                    "marketplaceId": marketplace,
                    "asin": self.asin,
                    "productType": self.product_type,
                    "conditionType": "new_new",
                    "status": self.status(),
                    "itemName": first_value(self.attributes, "item_name"),
                    "createdDate": iso(self.created),
                    "lastUpdatedDate": iso(self.updated),
                }
            ]
        if "attributes" in included:
            item["attributes"] = self.attributes
        if "issues" in included:
            item["issues"] = []
        if "offers" in included:
            price = self.price()
            item["offers"] = (
                [
                    {
                        "marketplaceId": marketplace,
                        "offerType": "B2C",
                        "price": {"currencyCode": price[1], "amount": f"{float(price[0]):.2f}"},
                    }
                ]
                if price
                else []
            )
        if "fulfillmentAvailability" in included:
            quantity = self.quantity()
            item["fulfillmentAvailability"] = (
                [{"fulfillmentChannelCode": MFN, "quantity": quantity}] if quantity is not None else []
            )
        return item


@dataclass
class Feed:
    feed_id: str
    feed_type: str
    marketplace_ids: list[str]
    document_id: str
    created: float
    queued_until: float
    done_at: float
    status: str = "IN_QUEUE"
    result_document_id: str | None = None

    def view(self) -> dict[str, Any]:
        feed: dict[str, Any] = {
            "feedId": self.feed_id,
            "feedType": self.feed_type,
            "marketplaceIds": self.marketplace_ids,
            "createdTime": iso(self.created),
            "processingStatus": self.status,
        }
        if self.status != "IN_QUEUE":
            feed["processingStartTime"] = iso(self.queued_until)
        if self.status in ("DONE", "FATAL"):
            feed["processingEndTime"] = iso(self.done_at)
        if self.result_document_id:
            feed["resultFeedDocumentId"] = self.result_document_id
        return feed


@dataclass
class Document:
    document_id: str
    content_type: str
    content: bytes | None = None
    gzip: bool = False


@dataclass
class World:
    seller_id: str
    marketplace: str
    currency: str
    listings: dict[str, Listing] = field(default_factory=dict)
    fba: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    feeds: dict[str, Feed] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by notification type
    counter: int = 0

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def text(self, value: str) -> list[dict[str, Any]]:
        return [{"value": value, "language_tag": "en_US", "marketplace_id": self.marketplace}]

    def add_listing(self, sku: str, title: str, price: float, quantity: int, now: float) -> Listing:
        attributes = {
            "item_name": self.text(title),
            "brand": self.text("Sandbox Goods"),
            "product_description": self.text(f"{title}, from the Amazon sandbox."),
            "purchasable_offer": [
                {
                    "marketplace_id": self.marketplace,
                    "currency": self.currency,
                    "our_price": [{"schedule": [{"value_with_tax": price}]}],
                }
            ],
            "fulfillment_availability": [{"fulfillment_channel_code": MFN, "quantity": quantity}],
        }
        listing = Listing(sku, "HOME", attributes, now, now, f"B0{self.next_id():08d}")
        self.listings[sku] = listing
        return listing

    def add_fba(self, sku: str, quantity: int, now: float) -> dict[str, Any]:
        summary = {
            "asin": self.listings[sku].asin if sku in self.listings else f"B0{self.next_id():08d}",
            "fnSku": f"X00{self.next_id():07d}",
            "sellerSku": sku,
            "condition": "NewItem",
            "inventoryDetails": {
                "fulfillableQuantity": quantity,
                "inboundWorkingQuantity": 0,
                "inboundShippedQuantity": 0,
                "inboundReceivingQuantity": 0,
            },
            "lastUpdatedTime": iso(now),
            "productName": sku,
            "totalQuantity": quantity,
        }
        self.fba[sku] = summary
        return summary

    def add_order(self, now: float, status: str = "UNSHIPPED", sku: str | None = None) -> dict[str, Any]:
        n = self.next_id()
        order_id = f"113-{n:07d}-{secrets.randbelow(10**7):07d}"
        listing = self.listings.get(sku or "") or next(iter(self.listings.values()), None)
        price = listing.price() if listing else None
        amount = f"{float(price[0]) if price else 10.0:.2f}"
        item = {
            "orderItemId": f"{n:014d}",
            "quantityOrdered": 1,
            "product": {
                "asin": listing.asin if listing else "B000000000",
                "title": first_value(listing.attributes, "item_name") if listing else "Item",
                "sellerSku": listing.sku if listing else "UNKNOWN",
                "price": {"unitPrice": {"amount": amount, "currencyCode": self.currency}},
            },
        }
        order = {
            "orderId": order_id,
            "createdTime": iso(now),
            "lastUpdatedTime": iso(now),
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": self.marketplace,
                "marketplaceName": "Amazon.com",
            },
            "proceeds": {"grandTotal": {"amount": amount, "currencyCode": self.currency}},
            "fulfillment": {
                "fulfillmentStatus": status,
                "fulfilledBy": "MERCHANT",
                "fulfillmentServiceLevel": "STANDARD",
            },
            "orderItems": [item],
            "packages": [],
        }
        self.orders[order_id] = order
        return order

    def touch_order(self, order: dict[str, Any], now: float) -> None:
        order["lastUpdatedTime"] = iso(now)
