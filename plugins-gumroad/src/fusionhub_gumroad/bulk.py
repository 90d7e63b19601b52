"""bulk_operations as a workaround: Gumroad has no bulk API.

UPDATE_PRODUCTS hands its items to core's fan-out (one update_product per item: in a worker one
child job each within the store's 60 requests/minute). Exports read every product or sale through
this plugin's own list functions, 10 records per request, one page in memory at a time.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fusionhub.plugin import (
    Capability,
    OperationHandle,
    OperationStatus,
    StoreContext,
    each_item,
    fan_out_items,
    hookimpl,
    utcnow,
)
from fusionhub.plugin import params as p
from fusionhub_gumroad import products, sales
from fusionhub_gumroad.endpoints import PAGE_SIZE


async def _export(ctx: StoreContext, kind: p.BulkOperationKind) -> dict[str, Any]:
    if kind is p.BulkOperationKind.EXPORT_PRODUCTS:
        catalog = each_item(partial(products.list_products, ctx), p.ListProductsParams(limit=PAGE_SIZE))
        records = [item.model_dump(mode="json", exclude={"raw"}) async for item in catalog]
        return {"products": records, "count": len(records)}
    orders = each_item(partial(sales.list_orders, ctx), p.ListOrdersParams(limit=PAGE_SIZE))
    records = [item.model_dump(mode="json", exclude={"raw"}) async for item in orders]
    return {"orders": records, "count": len(records)}


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return params.handle  # finished within its call: nothing to poll
    started, status = utcnow(ctx.clock), OperationStatus.COMPLETED
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        outcome = await fan_out_items(ctx, Capability.UPDATE_PRODUCT, params.items)
        result, count = outcome.model_dump(mode="json"), outcome.total
        if outcome.total and not outcome.succeeded:
            status = OperationStatus.FAILED
    else:
        result = await _export(ctx, params.kind)
        count = result["count"]
    return OperationHandle(
        operation_id=f"gumroad-{params.kind.value}-{int(ctx.clock.now() * 1000)}",
        kind="fan_out" if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS else params.kind.value,
        status=status,
        poll_after_seconds=0,
        done=count,
        total=count,
        result=result,
        created_at=started,
    )
