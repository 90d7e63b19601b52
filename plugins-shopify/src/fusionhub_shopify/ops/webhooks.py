"""Webhook subscriptions: list, subscribe (one per topic), unsubscribe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import (
    Step,
    StoreContext,
    ValidationError,
    WebhookSubscription,
    WebhookSubscriptions,
    hookimpl,
    relay,
    stream,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute
from fusionhub_shopify.ids import gid
from fusionhub_shopify.responses import payload

PAGE = 100


def topic_enum(topic: str) -> str:
    """ "products/create", "PRODUCTS_CREATE" → PRODUCTS_CREATE (the GraphQL enum)."""
    return topic.strip().replace("/", "_").upper()


def _subscription(node: dict[str, Any]) -> WebhookSubscription:
    created = node.get("createdAt")
    return WebhookSubscription(
        id=node["id"],
        topic=node["topic"],
        callback_url=(node.get("endpoint") or {}).get("callbackUrl"),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
    )


async def _list(ctx: StoreContext) -> list[WebhookSubscription]:
    async def page(after: str | None) -> Step[Any, str]:
        data = await execute(ctx, "WebhookSubscriptions", {"first": PAGE, "after": after})
        return relay(data["webhookSubscriptions"])

    return [_subscription(node) async for node in stream(page)]


@hookimpl
async def webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    if params.action is p.WebhookAction.SUBSCRIBE:
        for i, topic in enumerate(params.topics):
            data = await execute(
                ctx, "WebhookSubscriptionCreate", {"topic": topic_enum(topic), "callbackUrl": params.callback_url}
            )
            try:
                payload(data, "webhookSubscriptionCreate")
            except ValidationError as exc:
                raise ValidationError(
                    errors=[{"loc": f"topics.{i}", "msg": e["msg"]} for e in exc.errors], platform="shopify"
                ) from None
    elif params.action is p.WebhookAction.UNSUBSCRIBE:
        sub_id = gid("WebhookSubscription", str(params.subscription_id))
        payload(await execute(ctx, "WebhookSubscriptionDelete", {"id": sub_id}), "webhookSubscriptionDelete")
    return WebhookSubscriptions(subscriptions=await _list(ctx))
