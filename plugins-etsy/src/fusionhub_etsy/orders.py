"""Orders as Etsy receipts: list/get, tracking and shipped/paid flags. Etsy has no cancel or refund API."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import OffsetCursor, Order, Page, StoreContext, ValidationError, hookimpl
from fusionhub.plugin import params as p
from fusionhub_etsy.client import call, etsy_id
from fusionhub_etsy.mapping import order

MAX_PAGE = 100  # getShopReceipts' limit maximum
STATUS_FILTER: dict[str, dict[str, bool]] = {
    "pending": {"was_paid": False},
    "paid": {"was_paid": True},
    "unshipped": {"was_paid": True, "was_shipped": False},
    "shipped": {"was_shipped": True},
    "fulfilled": {"was_shipped": True},
    "cancelled": {"was_canceled": True},
}


def _filters(params: p.ListOrdersParams) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if params.status is not None:
        if params.status not in STATUS_FILTER:
            msg = f"one of {', '.join(STATUS_FILTER)}"
            raise ValidationError(errors=[{"loc": "params.status", "msg": msg}], platform="etsy")
        filters.update({k: "true" if v else "false" for k, v in STATUS_FILTER[params.status].items()})
    if params.created_since is not None:
        filters["min_created"] = int(params.created_since.timestamp())
    if params.updated_since is not None:
        filters["min_last_modified"] = int(params.updated_since.timestamp())
    return filters


@hookimpl
async def list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    # A cursor keeps the filters of the first page; only a first page reads them from params.
    at = (
        OffsetCursor.decode(params.cursor, platform="etsy") if params.cursor else OffsetCursor(filters=_filters(params))
    )
    query = {"limit": min(params.limit, MAX_PAGE), "offset": at.offset, **at.filters}
    page = await call(ctx, "getShopReceipts", params=query)
    results, count = page.get("results", []), int(page.get("count", 0))
    return Page[Order](items=[order(r) for r in results], next_cursor=at.next(len(results), total=count), total=count)


@hookimpl
async def get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return order(await call(ctx, "getShopReceipt", receipt_id=etsy_id(params.order_id, "params.order_id", "receipt")))


@hookimpl
async def update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    receipt_id = etsy_id(params.order_id, "params.order_id", "receipt")
    action = params.action
    if action in (p.OrderAction.SHIP, p.OrderAction.FULFILL):
        if params.tracking is not None:
            if not params.tracking.carrier:
                msg = "Etsy needs the carrier's name with a tracking code"
                raise ValidationError(errors=[{"loc": "params.tracking.carrier", "msg": msg}], platform="etsy")
            fields = {
                "tracking_code": params.tracking.number,
                "carrier_name": params.tracking.carrier,
                "note_to_buyer": params.reason if params.notify_customer else None,
            }
            return order(await call(ctx, "createReceiptShipment", data=fields, receipt_id=receipt_id))
        return order(await call(ctx, "updateShopReceipt", data={"was_shipped": True}, receipt_id=receipt_id))
    if action is p.OrderAction.MARK_PAID:
        return order(await call(ctx, "updateShopReceipt", data={"was_paid": True}, receipt_id=receipt_id))
    msg = f"Etsy's API cannot {action.value} a receipt: do it in the Etsy Shop Manager"
    raise ValidationError(errors=[{"loc": "params.action", "msg": msg}], platform="etsy")
