"""bulk_operations as a workaround: Etsy has no bulk API.

bulk_update is no code here: the manifest declares it `fan_out = "update_product"` and core runs
it. UPDATE_PRODUCTS hands its items to the same core fan-out (`fan_out_items`): in a worker one
child job per item within the store's rate limit, in a direct call one by one through the gate.
Exports page through listings or receipts.
"""

from __future__ import annotations

import uuid
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
        records = [
            item.model_dump(mode="json", exclude={"raw"})
            for state in options.get("states", ["active"])
            async for item in each_item(
                partial(products.list_products, ctx), p.ListProductsParams(limit=EXPORT_PAGE, status=state)
            )
        ]
        return {"products": records, "count": len(records)}
    every_order = each_item(partial(orders.list_orders, ctx), p.ListOrdersParams(limit=EXPORT_PAGE))
    records = [item.model_dump(mode="json", exclude={"raw"}) async for item in every_order]
    return {"orders": records, "count": len(records)}


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return params.handle  # the workaround finishes within the call: nothing left to poll
    started = utcnow(ctx.clock)
    operation_id = f"etsy-{params.kind.value}-{uuid.uuid4().hex[:12]}"
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        result = await fan_out_items(ctx, Capability.UPDATE_PRODUCT, params.items)
        status = OperationStatus.FAILED if result.total and not result.succeeded else OperationStatus.COMPLETED
        return OperationHandle(
            operation_id=operation_id,
            kind="fan_out",
            status=status,
            poll_after_seconds=0,
            done=result.total,
            total=result.total,
            result=result.model_dump(mode="json"),
            created_at=started,
        )
    exported = await _export(ctx, params.kind, params.options)
    return OperationHandle(
        operation_id=operation_id,
        kind=params.kind.value,
        status=OperationStatus.COMPLETED,
        poll_after_seconds=0,
        done=exported["count"],
        total=exported["count"],
        result=exported,
        created_at=started,
    )
