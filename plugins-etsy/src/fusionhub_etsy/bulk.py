"""The bulk workarounds: Etsy has no bulk API, so every item is its own update_product call.

`ctx.fan_out` is the runtime's: in a worker it queues one child job per item (the queue runs
them within the store's rate limit and reports progress per job); in a direct call core's Hub
runs them one by one through the gate. Either way the aggregate comes back as a BulkResult.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from fusionhub import params as p
from fusionhub.capabilities import Capability
from fusionhub.clock import utcnow
from fusionhub.context import StoreContext
from fusionhub.errors import FusionHubError
from fusionhub.models import BulkResult, ItemOutcome, OperationHandle, OperationStatus
from fusionhub.paging import each_item
from fusionhub_etsy import orders, products

EXPORT_PAGE = 100


async def _fan_out(ctx: StoreContext, items: list[p.UpdateProductParams]) -> BulkResult:
    payloads = [item.model_dump(mode="json", exclude_unset=True) for item in items]
    if ctx.fan_out is not None:
        return await ctx.fan_out(Capability.UPDATE_PRODUCT, payloads)
    # No runtime around (a bare StoreContext): the same loop, in process.
    outcomes = []
    for index, item in enumerate(items):
        try:
            result = await products.update_product(ctx, item)
            outcomes.append(
                ItemOutcome(index=index, key=item.product_id, ok=True, result=result.model_dump(mode="json"))
            )
        except FusionHubError as exc:
            outcomes.append(
                ItemOutcome(
                    index=index, key=item.product_id, ok=False, error_category=exc.category, error=exc.user_message
                )
            )
    ok = sum(o.ok for o in outcomes)
    return BulkResult(total=len(items), succeeded=ok, failed=len(items) - ok, items=outcomes)


async def bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
    return await _fan_out(ctx, params.items)


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


async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return params.handle  # the workaround finishes within the call: nothing left to poll
    started = utcnow(ctx.clock)
    operation_id = f"etsy-{params.kind.value}-{uuid.uuid4().hex[:12]}"
    if params.kind is p.BulkOperationKind.UPDATE_PRODUCTS:
        result = await _fan_out(ctx, params.items)
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
