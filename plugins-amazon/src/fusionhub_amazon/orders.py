"""Orders through Orders API 2026-01-01 (searchOrders, getOrder), shipping through v0 confirmShipment.

The v0 reads (getOrders, getOrder, getOrderItems) are deprecated and removed on 2027-03-27; only
confirmShipment, which has no 2026-01-01 successor, is still called on v0. Buyer and recipient
data (PII) need a restricted data token and are not requested. Cancelling an order, marking it
paid or closing it has no SP-API call (order feeds only): those actions are refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fusionhub.plugin import (
    Order,
    OrderStatus,
    Page,
    StoreContext,
    decode_cursor,
    encode_cursor,
    hookimpl,
)
from fusionhub.plugin import (
    params as p,
)
from fusionhub_amazon import mapping
from fusionhub_amazon.client import SLUG, call, invalid, marketplace_id, marketplace_ids

MAX_PER_PAGE = 100
INCLUDED = ["PROCEEDS", "FULFILLMENT", "PACKAGES"]
DEFAULT_WINDOW = timedelta(days=30)  # searchOrders needs a start: without one, the last 30 days
STATUS_FILTER = {  # our status → searchOrders' fulfillmentStatuses
    OrderStatus.PENDING: ["PENDING_AVAILABILITY", "PENDING", "UNFULFILLABLE"],
    OrderStatus.PAID: ["UNSHIPPED"],
    OrderStatus.PARTIALLY_FULFILLED: ["PARTIALLY_SHIPPED"],
    OrderStatus.SHIPPED: ["SHIPPED"],
    OrderStatus.FULFILLED: ["SHIPPED"],
    OrderStatus.CANCELLED: ["CANCELLED"],
}
SHIPPING_ACTIONS = {p.OrderAction.SHIP, p.OrderAction.FULFILL}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _filters(ctx: StoreContext, params: p.ListOrdersParams) -> dict[str, Any]:
    filters: dict[str, Any] = {"marketplaceIds": marketplace_ids(ctx), "includedData": INCLUDED}
    if params.updated_since is not None:
        filters["lastUpdatedAfter"] = _iso(params.updated_since)
        if params.created_since is not None:
            raise invalid("params.created_since", "Amazon filters by creation or by update, not both")
    else:
        start = params.created_since or datetime.fromtimestamp(ctx.clock.now(), UTC) - DEFAULT_WINDOW
        filters["createdAfter"] = _iso(start)
    if params.status is not None:
        try:
            filters["fulfillmentStatuses"] = STATUS_FILTER[OrderStatus(params.status)]
        except (KeyError, ValueError):
            known = ", ".join(s.value for s in STATUS_FILTER)
            raise invalid("params.status", f"one of {known}") from None
    return filters


@hookimpl
async def list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    at = decode_cursor(params.cursor, platform=SLUG)
    if at and not (isinstance(at.get("token"), str) and isinstance(at.get("filters"), dict)):
        raise invalid("params.cursor", "not a cursor returned by this plugin")
    filters = at.get("filters") or _filters(ctx, params)
    size = min(params.limit, MAX_PER_PAGE)
    body = await call(
        ctx, "searchOrders", params={**filters, "maxResultsPerPage": size, "paginationToken": at.get("token")}
    )
    token = (body.get("pagination") or {}).get("nextToken")
    following = encode_cursor({"token": token, "filters": filters}) if token else None
    return Page[Order](items=[mapping.order(o) for o in body.get("orders") or []], next_cursor=following)


async def order_record(ctx: StoreContext, order_id: str) -> dict[str, Any]:
    body = await call(ctx, "getOrder", orderId=order_id, params={"includedData": INCLUDED})
    record: dict[str, Any] = body["order"]
    return record


@hookimpl
async def get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return mapping.order(await order_record(ctx, params.order_id))


@hookimpl
async def update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    if params.action not in SHIPPING_ACTIONS:
        action = params.action.value
        raise invalid("params.action", f"Amazon has no call to {action} an order (only ship/fulfill: confirmShipment)")
    tracking = params.tracking
    if tracking is None or not tracking.carrier:
        raise invalid("params.tracking", "confirmShipment needs a tracking number and carrier")
    record = await order_record(ctx, params.order_id)
    items = [
        {"orderItemId": str(item["orderItemId"]), "quantity": int(item["quantityOrdered"])}
        for item in record.get("orderItems") or []
    ]
    market = (record.get("salesChannel") or {}).get("marketplaceId") or marketplace_id(ctx)
    package = {
        "packageReferenceId": "1",
        "carrierCode": tracking.carrier,
        "trackingNumber": tracking.number,
        "shipDate": _iso(datetime.fromtimestamp(ctx.clock.now(), UTC)),
        "orderItems": items,
    }
    await call(
        ctx, "confirmShipment", orderId=params.order_id, json={"marketplaceId": market, "packageDetail": package}
    )
    return mapping.order(await order_record(ctx, params.order_id))
