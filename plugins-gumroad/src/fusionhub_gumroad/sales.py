"""Orders as Gumroad sales: list (page_key), get, mark as shipped, refund (whole or `amount_cents`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fusionhub.plugin import Money, Order, Page, Refund, StoreContext, ValidationError, hookimpl, meta
from fusionhub.plugin import params as p
from fusionhub_gumroad.client import Json, call, record
from fusionhub_gumroad.config import GumroadConfig
from fusionhub_gumroad.endpoints import SLUG, path
from fusionhub_gumroad.mapping import cents, order, refund
from fusionhub_gumroad.pages import PageKeyCursor


def _refuse(loc: str, msg: str) -> ValidationError:
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)


def _day(when: datetime) -> str:
    return when.astimezone(UTC).date().isoformat() if when.tzinfo else when.date().isoformat()


def _first_filters(params: p.ListOrdersParams) -> Json:
    if params.status is not None or params.updated_since is not None:
        field = "params.status" if params.status is not None else "params.updated_since"
        raise _refuse(field, "Gumroad's GET /sales filters by creation date only (created_since)")
    # `after` is a day (YYYY-MM-DD, inclusive); sales earlier that day are dropped below.
    return {"after": _day(params.created_since)} if params.created_since else {}


def _since(params: p.ListOrdersParams) -> datetime | None:
    since = params.created_since
    return since if since is None or since.tzinfo else since.replace(tzinfo=UTC)


@hookimpl
async def list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    currency = GumroadConfig.of(ctx.store.config).currency
    at = PageKeyCursor.decode(params.cursor) if params.cursor else PageKeyCursor(filters=_first_filters(params))
    body = await call(ctx, "GET", "sales", operation="GET /sales", params=at.query())
    records, cursor = at.take(body.get("sales") or [], params.limit, body.get("next_page_key"))
    orders = [order(r, currency) for r in records]
    since = _since(params)
    if since is not None:
        orders = [o for o in orders if o.created_at is None or o.created_at >= since]
    return Page[Order](items=orders, next_cursor=cursor)


async def _sale(ctx: StoreContext, method: str, sale_id: str, action: str | None = None, **kwargs: Any) -> Json:
    segments = ("sales", sale_id, action) if action else ("sales", sale_id)
    operation = f"{method} /sales/:id" + (f"/{action}" if action else "")
    body = await call(ctx, method, path(*segments), operation=operation, **kwargs)
    return record(body, "sale", operation)


@hookimpl
async def get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return order(await _sale(ctx, "GET", params.order_id), GumroadConfig.of(ctx.store.config).currency)


@hookimpl
async def update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    if params.action is not p.OrderAction.SHIP:
        raise _refuse(
            "params.action",
            f"Gumroad can only mark a sale as shipped (action 'ship'); '{params.action.value}' is not in its API",
        )
    form: Json = {}
    if params.tracking is not None:
        if not params.tracking.url:
            raise _refuse("params.tracking.url", "Gumroad keeps a tracking URL, not a number: give the URL")
        form["tracking_url"] = params.tracking.url
    sale = await _sale(ctx, "PUT", params.order_id, "mark_as_shipped", data=form)
    return order(sale, GumroadConfig.of(ctx.store.config).currency)


@hookimpl
async def process_refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund:
    if params.lines:
        raise _refuse("params.lines", "Gumroad refunds a sale or an amount of it, not lines: give amount instead")
    form: Json = {}
    if params.amount is not None:  # a partial refund; none: the whole refundable amount
        form["amount_cents"] = cents(params.amount, "params.amount")
    # A PUT, but not idempotent: a partial refund sent twice refunds twice, so core must never resend it.
    sale = await _sale(ctx, "PUT", params.order_id, "refund", data=form, extensions=meta(idempotent=False))
    return refund_of(ctx, sale, params.amount)


def refund_of(ctx: StoreContext, sale: Json, amount: Money | None) -> Refund:
    return refund(sale, amount, GumroadConfig.of(ctx.store.config).currency)
