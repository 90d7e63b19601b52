"""Order capabilities: list, get, status changes (fulfil, cancel, close, mark paid), refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fusionhub.plugin import Order, Page, Refund, Step, StoreContext, ValidationError, hookimpl, relay, stream
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute, page_size
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping import orders as m
from fusionhub_shopify.responses import found, payload

LIST_LINES = 10  # line items inline per listed order; orders with more are completed one by one
GET_LINES = 100
_OPEN_FULFILLMENT = frozenset({"OPEN", "IN_PROGRESS"})


async def _lines(ctx: StoreContext, node: dict[str, Any]) -> list[dict[str, Any]]:
    async def more(after: str | None) -> Step[Any, str]:
        variables = {"id": node["id"], "linesFirst": GET_LINES, "linesAfter": after}
        return relay((await execute(ctx, "Order", variables))["order"]["lineItems"])

    return [line async for line in stream(more, first=relay(node["lineItems"]))]


@hookimpl
async def list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    first = page_size(ctx, "Orders", {"linesFirst": LIST_LINES}, params.limit)
    variables = {"first": first, "after": params.cursor, "query": m.search_query(params), "linesFirst": LIST_LINES}
    nodes, cursor = relay((await execute(ctx, "Orders", variables))["orders"])
    return Page[Order](items=[m.order_from(node, await _lines(ctx, node)) for node in nodes], next_cursor=cursor)


async def fetch(ctx: StoreContext, order_id: str) -> Order:
    data = await execute(ctx, "Order", {"id": gid("Order", order_id), "linesFirst": GET_LINES})
    order = found(data, "order", f"order {order_id}")
    return m.order_from(order, await _lines(ctx, order))


@hookimpl
async def get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return await fetch(ctx, params.order_id)


async def _fulfil(ctx: StoreContext, order_id: str, params: p.UpdateOrderStatusParams) -> None:
    data = await execute(ctx, "OrderFulfillmentOrders", {"id": order_id})
    fulfillments = found(data, "order", f"order {params.order_id}")["fulfillmentOrders"]["nodes"]
    open_orders = [f["id"] for f in fulfillments if f["status"] in _OPEN_FULFILLMENT]
    if not open_orders:
        raise ValidationError(errors=[{"loc": "order_id", "msg": "the order has nothing left to fulfil"}])
    fulfillment = m.fulfillment_input(open_orders, params)
    payload(await execute(ctx, "FulfillmentCreate", {"fulfillment": fulfillment}), "fulfillmentCreate")


@hookimpl
async def update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    order_id = gid("Order", params.order_id)
    action = params.action
    if action in (p.OrderAction.FULFILL, p.OrderAction.SHIP):
        if action is p.OrderAction.SHIP and params.tracking is None:
            raise ValidationError(errors=[{"loc": "tracking", "msg": "ship needs tracking"}], platform="shopify")
        await _fulfil(ctx, order_id, params)
    elif action is p.OrderAction.CANCEL:
        variables = m.cancel_input(order_id, params)
        payload(await execute(ctx, "OrderCancel", variables), "orderCancel", errors_key="orderCancelUserErrors")
    elif action is p.OrderAction.CLOSE:
        payload(await execute(ctx, "OrderClose", {"id": order_id}), "orderClose")
    else:
        payload(await execute(ctx, "OrderMarkAsPaid", {"id": order_id}), "orderMarkAsPaid")
    return await fetch(ctx, order_id)


@hookimpl
async def process_refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund:
    """Ask Shopify for the suggested refund (tax, gateways, what is left), then create it.

    Lines only: their suggested amount. Nothing given: a full refund. An amount: that much back
    through the first gateway, never more than is left to refund.
    """
    order_id = gid("Order", params.order_id)
    lines = m.refund_lines(params)
    whole = params.amount is not None or not lines  # the full suggestion names the gateways and what is left
    variables = {"id": order_id, "refundLineItems": None if whole else lines, "suggestFullRefund": whole}
    data = await execute(ctx, "SuggestedRefund", variables)
    suggested = found(data, "order", f"order {params.order_id}")["suggestedRefund"] or {}
    left = Decimal(str(suggested.get("amountSet", {}).get("shopMoney", {}).get("amount", "0")))
    transactions = suggested.get("suggestedTransactions") or []
    if params.amount is not None and (params.amount.amount > left or not transactions):
        raise ValidationError(
            errors=[{"loc": "amount", "msg": f"exceeds what is left to refund ({left})"}], platform="shopify"
        )
    if not transactions:
        raise ValidationError(errors=[{"loc": "order_id", "msg": "nothing left to refund"}], platform="shopify")
    refund_input = m.refund_input(order_id, params, lines, suggested)
    result = payload(await execute(ctx, "RefundCreate", {"input": refund_input}), "refundCreate", prefix="refund")
    return m.refund_from(result["refund"], order_id)
