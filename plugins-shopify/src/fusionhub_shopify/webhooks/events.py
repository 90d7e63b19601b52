"""A delivery → verified once → normalized events (one per delivery; the delivery id dedupes).

A replay of a captured delivery under rewritten (unsigned) id, event-id or time headers carries
the same signature: within `REPLAY_WINDOW` it gets the delivery id it was first accepted under,
so the hub drops it as a duplicate instead of storing it as new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fusionhub.plugin import (
    SYSTEM_CLOCK,
    AuthError,
    Clock,
    Event,
    EventType,
    SeenDeliveries,
    Store,
    ValidationError,
    check_timestamp,
    hookimpl,
)
from fusionhub_shopify.config import SHOP_DOMAIN, ShopConfig
from fusionhub_shopify.ids import gid
from fusionhub_shopify.webhooks import signature as sig

TOPICS: dict[str, EventType] = {
    "products/create": EventType.PRODUCT_CREATED,
    "products/update": EventType.PRODUCT_UPDATED,
    "products/delete": EventType.PRODUCT_DELETED,
    "orders/create": EventType.ORDER_CREATED,
    "orders/updated": EventType.ORDER_UPDATED,
    "orders/paid": EventType.ORDER_PAID,
    "orders/cancelled": EventType.ORDER_CANCELLED,
    "orders/fulfilled": EventType.ORDER_FULFILLED,
    "inventory_levels/update": EventType.INVENTORY_UPDATED,
    "refunds/create": EventType.REFUND_CREATED,
    "bulk_operations/finish": EventType.OPERATION_FINISHED,
    "app/uninstalled": EventType.APP_UNINSTALLED,
}
# The resource kind of a topic's payload id, to report gids whatever the payload carries.
# Shopify retries a failed delivery for up to 48 hours; a replay within this window is recognized.
REPLAY_WINDOW = 48 * 3600.0
SEEN = SeenDeliveries(SYSTEM_CLOCK, ttl=REPLAY_WINDOW)  # per process, on the clock webhook times use
_KINDS = {
    "products": "Product",
    "orders": "Order",
    "refunds": "Refund",
    "inventory_levels": "InventoryItem",
    "bulk_operations": "BulkOperation",
    "app": "Shop",
}


def _resource_id(topic: str, body: dict[str, Any]) -> str | None:
    if body.get("admin_graphql_api_id"):
        return str(body["admin_graphql_api_id"])
    kind = _KINDS.get(topic.split("/", 1)[0])
    raw = body.get("inventory_item_id") if kind == "InventoryItem" else body.get("id")
    return gid(kind, str(raw)) if kind and raw is not None else None


def _when(raw: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except ValueError:  # a signed body with an odd date header is still a delivery
        return None


def parse(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | None,
    shop: str,
    store_id: str,
    max_age: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Event]:
    """Verify, then normalize. A delivery for another shop is refused like a forged one."""
    h = sig.lower_keys(headers)
    signed = sig.SIGNATURE.verify(secret, body, h.get(sig.HMAC_HEADER), platform="shopify")
    if max_age is not None:  # after the signature: an unsigned date on a forged delivery proves nothing
        check_timestamp(h.get(sig.TRIGGERED_HEADER), clock.now(), max_age, platform="shopify")
    topic, delivery, sender = h.get(sig.TOPIC_HEADER, ""), h.get(sig.ID_HEADER, ""), h.get(sig.SHOP_HEADER, "")
    if not topic or not delivery:
        raise ValidationError(
            errors=[{"loc": "headers", "msg": "X-Shopify-Topic and X-Shopify-Webhook-Id are required"}]
        )
    if not SHOP_DOMAIN.match(sender) or sender != shop:
        raise AuthError("webhook delivery names another shop", platform="shopify")
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationError(errors=[{"loc": "body", "msg": "not JSON"}], platform="shopify") from None
    if not isinstance(data, dict):
        raise ValidationError(errors=[{"loc": "body", "msg": "not a JSON object"}], platform="shopify")
    # The topic is kept apart: Shopify may send one body, with one signature, for several topics.
    delivery = SEEN.first_delivery(f"{store_id} {topic} {signed}", delivery)
    return [
        Event(
            platform="shopify",
            type=TOPICS.get(topic, EventType.OTHER),
            delivery_id=delivery,
            resource_id=_resource_id(topic, data),
            topic=topic,
            occurred_at=_when(h.get(sig.TRIGGERED_HEADER)),
            payload=data,
        )
    ]


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    config = ShopConfig.of(store.config)
    # A webhook_secret is set when deliveries are signed with another secret than the app's.
    secret = store.credentials.get("webhook_secret") or store.credentials.get("client_secret")
    return parse(
        headers, body, secret=secret, shop=config.shop, store_id=store.id, max_age=config.webhook_max_age_seconds
    )
