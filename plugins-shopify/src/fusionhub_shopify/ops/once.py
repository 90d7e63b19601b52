"""What an earlier run of a write left on Shopify (`once = "reconcile"`), found before a re-run sends it again.

productCreate, fulfillmentCreate and the order actions take no idempotency key. refundCreate
takes one (sent from 2026-01), but a re-run first asks for the suggested refund, which an applied
refund has changed, so the refund itself is looked for too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fusionhub.plugin import Order, Product, Refund, StoreContext, hookimpl
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute, page_size
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping import orders as mo
from fusionhub_shopify.ops import orders, products
from fusionhub_shopify.responses import found

CLOCK_SKEW = 300.0  # seconds Shopify's createdAt may run behind our clock
VARIANTS = 20  # variants read per candidate product (its SKUs tell a half-made product)
DONE: dict[p.OrderAction, Callable[[dict[str, Any]], bool]] = {  # an order action already in effect, read off the order
    p.OrderAction.CANCEL: lambda o: bool(o.get("cancelledAt")),
    p.OrderAction.CLOSE: lambda o: bool(o.get("closed")),
    p.OrderAction.MARK_PAID: lambda o: o.get("displayFinancialStatus") == "PAID",
    p.OrderAction.FULFILL: lambda o: o.get("displayFulfillmentStatus") == "FULFILLED",
}


def _since(ctx: StoreContext) -> datetime:
    return datetime.fromtimestamp((ctx.rerun_since or 0.0) - CLOCK_SKEW, UTC)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _product(ctx: StoreContext, params: p.CreateProductParams) -> Product | None:
    """The product of this title created since the call first ran (with the SKUs asked for, if any)."""
    spec = params.product
    query = f"title:{_quoted(spec.title)} AND created_at:>='{_since(ctx).isoformat()}'"
    first = page_size(ctx, "Products", {"variantsFirst": VARIANTS}, 10)
    variables = {"first": first, "query": query, "variantsFirst": VARIANTS}
    nodes = (await execute(ctx, "Products", variables))["products"]["nodes"]
    skus = {v.sku for v in spec.variants if v.sku}
    for node in nodes:  # the search is fuzzy: the exact title only
        if node["title"] != spec.title:
            continue
        have = {v.get("sku") for v in node["variants"]["nodes"]}
        if skus and not skus & have:  # stopped before its variants: add them now
            await products.create_variants(ctx, node, spec.variants, bool(spec.options))
        return await products.fetch(ctx, node["id"])
    return None


async def _order_state(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order | None:
    """The order, when the action is already in effect (a shipment: its tracking number is on it)."""
    data = await execute(ctx, "Order", {"id": gid("Order", params.order_id), "linesFirst": 1})
    node = found(data, "order", f"order {params.order_id}")
    if params.action is p.OrderAction.SHIP and params.tracking is not None:
        numbers = {t.get("number") for f in node.get("fulfillments") or () for t in f.get("trackingInfo") or ()}
        done = params.tracking.number in numbers
    else:
        done = DONE[params.action if params.action in DONE else p.OrderAction.FULFILL](node)
    return await orders.fetch(ctx, params.order_id) if done else None


async def _refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund | None:
    """A refund of the order made since the call first ran (of the amount asked for, if any)."""
    order_id = gid("Order", params.order_id)
    node = found(await execute(ctx, "OrderRefunds", {"id": order_id}), "order", f"order {params.order_id}")
    since = _since(ctx)
    for refund in sorted(node["refunds"], key=lambda r: r["createdAt"], reverse=True):
        made = mo.refund_from(refund, order_id)
        if made.created_at is not None and made.created_at < since:
            continue
        if params.amount is None or (made.amount is not None and made.amount.amount == params.amount.amount):
            return made
    return None


@hookimpl
async def reconcile(ctx: StoreContext, capability: str, params: Any) -> Any:
    find: dict[str, Callable[[StoreContext, Any], Awaitable[Any]]] = {
        "create_product": _product,
        "update_order_status": _order_state,
        "process_refund": _refund,
    }
    return await find[capability](ctx, params)
