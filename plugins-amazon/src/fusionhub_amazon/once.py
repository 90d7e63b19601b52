"""What an earlier run of a write left on Amazon (`once = "reconcile"`), found before a re-run sends it again.

Listings, stock and feeds set values (`once = "natural"`). confirmShipment and createSubscription
add something: a re-run first looks for it.
"""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import Order, OrderStatus, StoreContext, WebhookSubscriptions, hookimpl
from fusionhub.plugin import params as p
from fusionhub_amazon import mapping
from fusionhub_amazon.notifications import webhooks
from fusionhub_amazon.orders import order_record

SHIPPED = frozenset({OrderStatus.SHIPPED, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED})


async def _shipped(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order | None:
    """The order, when an earlier run's confirmShipment shows on it."""
    order = mapping.order(await order_record(ctx, params.order_id))
    return order if order.status in SHIPPED else None


async def _subscribed(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions | None:
    """The subscriptions, when every topic asked for is subscribed already (unsubscribing sets a state)."""
    if params.action is not p.WebhookAction.SUBSCRIBE:
        return None
    listed = await webhooks(ctx, p.WebhooksParams(action=p.WebhookAction.LIST))
    return listed if set(params.topics) <= {s.topic for s in listed.subscriptions} else None


@hookimpl
async def reconcile(ctx: StoreContext, capability: str, params: Any) -> Any:
    return await (_shipped(ctx, params) if capability == "update_order_status" else _subscribed(ctx, params))
