"""Writes that take effect once: what an earlier run of a re-run call already did on Printify.

Core calls `fusionhub_reconcile` for a capability declaring `once = "reconcile"` when an earlier
run of the same call may have reached Printify (a worker stopped, an answer was lost). Returning
the capability's result means "done, do not send again"; None means "not there: send it".
Printify takes no idempotency key, so each write is looked for by what it leaves behind.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fusionhub.plugin import Order, Product, ProductStatus, StoreContext, each_item, hookimpl
from fusionhub.plugin import params as p
from fusionhub_printify import catalog, orders, products, unverified
from fusionhub_printify.client import call
from fusionhub_printify.mapping import order, product

# Order statuses that show a send to production went through, and a cancel.
SENT = {"sending-to-production", "in-production", "partially-fulfilled", "fulfilled"}
DONE_BY = {p.OrderAction.FULFILL: SENT, p.OrderAction.CANCEL: {"canceled"}}


def _age(item: Product) -> float:
    return item.created_at.timestamp() if item.created_at else 0.0


async def _created(ctx: StoreContext, params: p.CreateProductParams) -> Product | None:
    """The product an earlier run created: same title, blueprint and print provider, the newest such.

    A product that matches but was made otherwise is taken for it too: creating a second identical
    product is the worse mistake. If the earlier run stopped before publishing, it is published now.
    """
    item = params.product
    plan = catalog.Blueprint.of(item)
    listing = p.ListProductsParams(limit=unverified.PRODUCTS_MAX_LIMIT)
    found: Product | None = None
    async for candidate in each_item(partial(products.list_products, ctx), listing):
        raw = candidate.raw or {}
        same = (raw.get("title"), raw.get("blueprint_id"), raw.get("print_provider_id")) == (
            item.title,
            plan.blueprint_id,
            plan.print_provider_id,
        )
        if same and (found is None or _age(candidate) > _age(found)):
            found = candidate
    if found is None or item.status is not ProductStatus.ACTIVE:
        return found
    raw = found.raw or {}
    if not raw.get("is_locked") and not raw.get("external"):
        await products.publish(ctx, found.id)
        return product(await products.fetch(ctx, found.id), products.currency(ctx))
    return found


async def _updated(ctx: StoreContext, params: p.UpdateProductParams) -> Product | None:
    """A publication (the last step of an update) that went through leaves the product locked.

    Anything else an update does is a PUT of values: sending it again leaves the same state.
    """
    if params.changes.status is not ProductStatus.ACTIVE:
        return None
    current = await products.fetch(ctx, products.product_id(params.product_id))
    return product(current, products.currency(ctx)) if current.get("is_locked") else None


async def _order_moved(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order | None:
    done = DONE_BY.get(params.action)
    if done is None:
        return None  # refused before sending anyway
    current = await call(ctx, "getOrder", order_id=orders.order_id(params.order_id))
    return order(current, products.currency(ctx)) if current.get("status") in done else None


@hookimpl
async def reconcile(ctx: StoreContext, capability: str, params: Any) -> Any | None:
    if capability == "create_product":
        return await _created(ctx, params)
    if capability == "update_product":
        return await _updated(ctx, params)
    if capability == "update_order_status":
        return await _order_moved(ctx, params)
    return None
