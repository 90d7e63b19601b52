"""Webhook subscriptions: list, subscribe (one per topic), unsubscribe."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import Step, StoreContext, ValidationError, WebhookSubscriptions, hookimpl, relay, stream
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping.webhooks import subscription_from, topic_enum
from fusionhub_shopify.responses import payload

PAGE = 100


async def _list(ctx: StoreContext) -> WebhookSubscriptions:
    async def page(after: str | None) -> Step[Any, str]:
        data = await execute(ctx, "WebhookSubscriptions", {"first": PAGE, "after": after})
        return relay(data["webhookSubscriptions"])

    return WebhookSubscriptions(subscriptions=[subscription_from(node) async for node in stream(page)])


@hookimpl
async def webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    if params.action is p.WebhookAction.SUBSCRIBE:
        # A re-run skips what its earlier run subscribed (Shopify refuses a topic's address twice).
        have = {(topic_enum(s.topic), s.callback_url) for s in (await _list(ctx)).subscriptions} if ctx.rerun else set()
        for i, topic in enumerate(params.topics):
            if (topic_enum(topic), params.callback_url) in have:
                continue
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
    return await _list(ctx)
