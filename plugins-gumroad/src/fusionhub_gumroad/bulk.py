"""bulk_operations as a workaround: Gumroad has no bulk API, so core's paged bulk runs it (updates fan
out one update_product job per item within the store's 60 requests/minute; exports read every
product or sale 10 records a request, one page in memory at a time).
"""

from __future__ import annotations

from fusionhub.plugin import OperationHandle, StoreContext, hookimpl, paged_bulk_operations
from fusionhub.plugin import params as p
from fusionhub_gumroad import products, sales
from fusionhub_gumroad.endpoints import PAGE_SIZE


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    return await paged_bulk_operations(
        ctx, params, list_products=products.list_products, list_orders=sales.list_orders, page_size=PAGE_SIZE
    )
