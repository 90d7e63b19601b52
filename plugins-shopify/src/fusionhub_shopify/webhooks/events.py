"""A delivery → verified once (core's `WebhookFormat`) → one normalized event.

A replay of a captured delivery under rewritten (unsigned) id, event-id or time headers carries
the same signature: within `REPLAY_WINDOW` it gets the delivery id it was first accepted under,
so the hub drops it as a duplicate instead of storing it as new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fusionhub.plugin import SYSTEM_CLOCK, AuthError, Event, EventType, SeenDeliveries, Store, hookimpl
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.ids import gid
from fusionhub_shopify.webhooks.signature import FORMAT, SHOP_HEADER

# topic → the event it is, and the resource kind of its payload's id (reported as a gid).
TOPICS: dict[str, tuple[EventType, str]] = {
    "products/create": (EventType.PRODUCT_CREATED, "Product"),
    "products/update": (EventType.PRODUCT_UPDATED, "Product"),
    "products/delete": (EventType.PRODUCT_DELETED, "Product"),
    "orders/create": (EventType.ORDER_CREATED, "Order"),
    "orders/updated": (EventType.ORDER_UPDATED, "Order"),
    "orders/paid": (EventType.ORDER_PAID, "Order"),
    "orders/cancelled": (EventType.ORDER_CANCELLED, "Order"),
    "orders/fulfilled": (EventType.ORDER_FULFILLED, "Order"),
    "inventory_levels/update": (EventType.INVENTORY_UPDATED, "InventoryItem"),
    "refunds/create": (EventType.REFUND_CREATED, "Refund"),
    "bulk_operations/finish": (EventType.OPERATION_FINISHED, "BulkOperation"),
    "app/uninstalled": (EventType.APP_UNINSTALLED, "Shop"),
}
KINDS = {topic.split("/")[0]: kind for topic, (_, kind) in TOPICS.items()}  # other topics of a known resource
# Shopify retries a failed delivery for up to 48 hours; a replay within this window is recognized.
REPLAY_WINDOW = 48 * 3600.0
SEEN = SeenDeliveries(SYSTEM_CLOCK, ttl=REPLAY_WINDOW)  # per process, on the clock webhook times use


def _resource_id(topic: str, body: dict[str, Any]) -> str | None:
    if body.get("admin_graphql_api_id"):
        return str(body["admin_graphql_api_id"])
    kind = KINDS.get(topic.split("/")[0])
    raw = body.get("inventory_item_id") if kind == "InventoryItem" else body.get("id")
    return gid(kind, str(raw)) if kind and raw is not None else None


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    """Verify, then normalize. A delivery for another shop is refused like a forged one."""
    config = ShopConfig.of(store.config)
    # The README's rule: a webhook_secret (deliveries signed with another secret than the app's) wins.
    secret = store.credentials.get("webhook_secret") or store.credentials.get("client_secret")
    max_age, now = config.webhook_max_age_seconds, SYSTEM_CLOCK.now()
    delivery = FORMAT.open(headers, body, secret=secret, max_age=max_age, now=now, platform="shopify")
    if delivery.headers.get(SHOP_HEADER) != config.shop:
        raise AuthError("webhook delivery names another shop", platform="shopify")
    return [
        Event(
            platform="shopify",
            type=TOPICS.get(delivery.topic, (EventType.OTHER,))[0],
            delivery_id=delivery.first_id(SEEN, store.id),
            resource_id=_resource_id(delivery.topic, delivery.payload),
            topic=delivery.topic,
            occurred_at=delivery.occurred_at,
            payload=delivery.payload,
        )
    ]
