"""Orders: list (page-numbered, status filter), get, send to production, cancel.

Printify's print providers make and ship an order themselves; shipments reach the hub through
the order:shipment:* webhooks. So the only status changes the API takes are these two.
"""

from __future__ import annotations

import re

from fusionhub.plugin import Order, Page, PageNumberCursor, StoreContext, hookimpl
from fusionhub.plugin import params as p
from fusionhub_printify import unverified
from fusionhub_printify.client import call, refuse
from fusionhub_printify.config import SLUG
from fusionhub_printify.mapping import ORDER_STATUS, Json, order
from fusionhub_printify.products import currency

ORDER_ID = re.compile(r"^[0-9a-f]{24}$")
STATUSES = tuple(s for s in ORDER_STATUS if s != "cancelled")  # Printify's own spelling is "canceled"
ACTIONS = {p.OrderAction.FULFILL: "sendToProduction", p.OrderAction.CANCEL: "cancelOrder"}


def order_id(value: str) -> str:
    if not ORDER_ID.match(value):
        raise refuse("params.order_id", "a Printify order id is 24 hexadecimal digits")
    return value


@hookimpl
async def list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    for name in ("created_since", "updated_since"):
        if getattr(params, name) is not None:
            raise refuse(f"params.{name}", "Printify's orders.json has no date filter")
    if params.cursor:
        at = PageNumberCursor.decode(params.cursor, platform=SLUG)
    else:
        if params.status is not None and params.status not in STATUSES:
            raise refuse("params.status", f"one of Printify's statuses: {', '.join(STATUSES)}")
        limit = min(params.limit, unverified.ORDERS_MAX_LIMIT)
        at = PageNumberCursor(filters={"limit": limit, **({"status": params.status} if params.status else {})})
    page = await call(ctx, "listOrders", params={**at.filters, "page": at.page})
    items = [order(d, currency(ctx)) for d in page.get("data", [])]
    return Page[Order](
        items=items, next_cursor=at.next(len(items), last_page=page.get("last_page")), total=page.get("total")
    )


@hookimpl
async def get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return order(await call(ctx, "getOrder", order_id=order_id(params.order_id)), currency(ctx))


@hookimpl
async def update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    oid = order_id(params.order_id)
    operation = ACTIONS.get(params.action)
    if operation is None:
        msg = (
            f"Printify's API cannot {params.action.value} an order: its print provider ships it "
            "(shipments arrive as order:shipment webhooks); only fulfill (send to production) and cancel exist"
        )
        raise refuse("params.action", msg)
    if params.tracking is not None:
        raise refuse("params.tracking", "Printify's print provider adds the tracking when it ships")
    answer: Json | None = await call(ctx, operation, order_id=oid)
    if not (isinstance(answer, dict) and "line_items" in answer):  # an acknowledgement, not the order
        answer = await call(ctx, "getOrder", order_id=oid)
    assert isinstance(answer, dict)
    return order(answer, currency(ctx))
