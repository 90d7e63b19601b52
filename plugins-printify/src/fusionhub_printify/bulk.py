"""bulk_operations as a workaround: Printify has no bulk API.

bulk_update is no code here: the manifest declares it `fan_out = "update_product"` and core runs
it. UPDATE_PRODUCTS hands its items to the same core fan-out (`fan_out_items`); exports stream
every product or order page by page (`each_item`), one page in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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
from fusionhub_printify import orders, products, unverified


async def _collect(key: str, items: AsyncIterator[Any]) -> dict[str, Any]:
    records = [item.model_dump(mode="json", exclude={"raw"}) async for item in items]
    return {key: records, "count": len(records)}


async def _export(ctx: StoreContext, kind: p.BulkOperationKind) -> dict[str, Any]:
    if kind is p.BulkOperationKind.EXPORT_PRODUCTS:
        first = p.ListProductsParams(limit=unverified.PRODUCTS_MAX_LIMIT)
        return await _collect("products", each_item(partial(products.list_products, ctx), first))
    first_orders = p.ListOrdersParams(limit=unverified.ORDERS_MAX_LIMIT)
    return await _collect("orders", each_item(partial(orders.list_orders, ctx), first_orders))


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return params.handle  # the workaround finishes within the call: nothing left to poll
    started = utcnow(ctx.clock)
    status, kind = OperationStatus.COMPLETED, params.kind.value
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        fanned = await fan_out_items(ctx, Capability.UPDATE_PRODUCT, params.items)
        result, count, kind = fanned.model_dump(mode="json"), fanned.total, "fan_out"
        status = OperationStatus.FAILED if fanned.total and not fanned.succeeded else status
    else:
        result = await _export(ctx, params.kind)
        count = result["count"]
    return OperationHandle(
        operation_id=f"printify-{params.kind.value}-{uuid.uuid4().hex[:12]}",
        kind=kind,
        status=status,
        poll_after_seconds=0,
        done=count,
        total=count,
        result=result,
        created_at=started,
    )
