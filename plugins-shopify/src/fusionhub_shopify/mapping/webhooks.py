"""Shopify's webhooks in fusionhub's terms: topics → event types, payloads → resource ids, subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import EventType, WebhookSubscription
from fusionhub_shopify.ids import gid


def topic_enum(topic: str) -> str:
    """ "products/create", "PRODUCTS_CREATE" → PRODUCTS_CREATE (the GraphQL enum)."""
    return topic.strip().replace("/", "_").upper()


def subscription_from(node: dict[str, Any]) -> WebhookSubscription:
    return WebhookSubscription(
        id=node["id"],
        topic=node["topic"],
        callback_url=(node.get("endpoint") or {}).get("callbackUrl"),
        created_at=datetime.fromisoformat(node["createdAt"]) if node.get("createdAt") else None,
    )


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


def event_type(topic: str) -> EventType:
    return TOPICS.get(topic, (EventType.OTHER,))[0]


def resource_id(topic: str, body: dict[str, Any]) -> str | None:
    """The gid of what a delivery is about, whatever id the topic's payload carries."""
    if body.get("admin_graphql_api_id"):
        return str(body["admin_graphql_api_id"])
    kind = KINDS.get(topic.split("/")[0])
    raw = body.get("inventory_item_id") if kind == "InventoryItem" else body.get("id")
    return gid(kind, str(raw)) if kind and raw is not None else None
