"""`bulk_operations` for a platform without a bulk API, the same for every such plugin.

UPDATE_PRODUCTS fans out one update_product per item (core's fan-out: one job per item in a
worker, the direct loop elsewhere); an export pages through the plugin's own list capability,
one page in memory while it reads. Both finish within the call, so the handle comes back
finished and a poll returns it as it is. A plugin's hookimpl is one call:

    @hookimpl
    async def fusionhub_bulk_operations(ctx, params):
        return await paged_bulk_operations(ctx, params, list_products=list_products, list_orders=list_orders)
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.clock import utcnow
from fusionhub.context import StoreContext
from fusionhub.fanout import fan_out_items
from fusionhub.models import OperationHandle, OperationStatus, Order, Page, Product
from fusionhub.paging import each_item
from fusionhub.params import BulkOperationKind, BulkOperationsParams, ListOrdersParams, ListProductsParams

ListProducts = Callable[[StoreContext, ListProductsParams], Awaitable[Page[Product]]]
ListOrders = Callable[[StoreContext, ListOrdersParams], Awaitable[Page[Order]]]


async def _records(listings: Iterable[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json", exclude={"raw"}) for items in listings async for item in items]


async def paged_bulk_operations(
    ctx: StoreContext,
    params: BulkOperationsParams,
    *,
    list_products: ListProducts,
    list_orders: ListOrders,
    page_size: int = 100,
    product_queries: Iterable[ListProductsParams] | None = None,
) -> OperationHandle:
    """Run `params` within the call. `product_queries`: the listings an export reads (several
    states, say); by default one, `page_size` products a page."""
    if params.handle is not None:
        return params.handle  # finished within its call: nothing left to poll
    started, status, kind = utcnow(ctx.clock), OperationStatus.COMPLETED, params.kind.value
    if params.kind is BulkOperationKind.UPDATE_PRODUCTS:
        fanned = await fan_out_items(ctx, Capability.UPDATE_PRODUCT, params.items)
        result, count, kind = fanned.model_dump(mode="json"), fanned.total, "fan_out"
        status = OperationStatus.FAILED if fanned.total and not fanned.succeeded else status
    elif params.kind is BulkOperationKind.EXPORT_PRODUCTS:
        queries = product_queries or [ListProductsParams(limit=page_size)]
        records = await _records(each_item(partial(list_products, ctx), query) for query in queries)
        result, count = {"products": records, "count": len(records)}, len(records)
    else:
        records = await _records([each_item(partial(list_orders, ctx), ListOrdersParams(limit=page_size))])
        result, count = {"orders": records, "count": len(records)}, len(records)
    return OperationHandle(
        operation_id=f"{ctx.store.platform}-{params.kind.value}-{uuid.uuid4().hex[:12]}",
        kind=kind,
        status=status,
        poll_after_seconds=0,
        done=count,
        total=count,
        result=result,
        created_at=started,
    )
