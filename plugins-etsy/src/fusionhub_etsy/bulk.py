"""bulk_operations as a workaround: Etsy has no bulk API.

bulk_update is no code here: the manifest declares it `fan_out = "update_product"` and core runs
it. UPDATE_PRODUCTS hands its items to the same core fan-out (`fan_out_items`): in a worker one
child job per item within the store's rate limit, in a direct call one by one through the gate.
Exports page through listings or receipts.
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
from fusionhub_etsy import orders, products

EXPORT_PAGE = 100


async def _export(ctx: StoreContext, kind: p.BulkOperationKind, options: dict[str, Any]) -> dict[str, Any]:
    if kind is p.BulkOperationKind.EXPORT_PRODUCTS:
        pages: list[AsyncIterator[Any]] = [
            each_item(partial(products.list_products, ctx), p.ListProductsParams(limit=EXPORT_PAGE, status=state))
            for state in options.get("states", ["active"])
        ]
        key = "products"
    else:
        pages, key = [each_item(partial(orders.list_orders, ctx), p.ListOrdersParams(limit=EXPORT_PAGE))], "orders"
    records = [item.model_dump(mode="json", exclude={"raw"}) for items in pages async for item in items]
    return {key: records, "count": len(records)}


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
        result = await _export(ctx, params.kind, params.options)
        count = result["count"]
    return OperationHandle(
        operation_id=f"etsy-{params.kind.value}-{uuid.uuid4().hex[:12]}",
        kind=kind,
        status=status,
        poll_after_seconds=0,
        done=count,
        total=count,
        result=result,
        created_at=started,
    )
