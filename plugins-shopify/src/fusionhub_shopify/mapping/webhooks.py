"""Shopify's WebhookSubscription node → fusionhub's WebhookSubscription; topic names → the GraphQL enum."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import WebhookSubscription


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
