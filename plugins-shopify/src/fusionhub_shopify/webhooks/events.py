"""A verified delivery → normalized events (one per delivery; the delivery id dedupes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fusionhub import AuthError, ValidationError
from fusionhub.models import Event, EventType
from fusionhub_shopify.config import SHOP_DOMAIN
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


def parse(headers: Mapping[str, str], body: bytes, *, secret: str, shop: str) -> list[Event]:
    """Verify, then normalize. A delivery for another shop is refused like a forged one."""
    sig.verify(headers, body, secret)
    h = sig.lower_keys(headers)
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
