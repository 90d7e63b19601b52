"""bulk_operations as a workaround: Etsy has no bulk API, so core's paged bulk runs it (updates fan
out one update_product job per item; exports page through listings or receipts). bulk_update is
no code here: the manifest declares it `fan_out = "update_product"` and core runs it.
"""

from __future__ import annotations

from fusionhub.plugin import OperationHandle, StoreContext, hookimpl, paged_bulk_operations
from fusionhub.plugin import params as p
from fusionhub_etsy import orders, products

EXPORT_PAGE = 100


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    """Core's paged bulk; an export reads the listing states `options.states` names (default: active)."""
    states = params.options.get("states", ["active"])
    return await paged_bulk_operations(
        ctx,
        params,
        list_products=products.list_products,
        list_orders=orders.list_orders,
        page_size=EXPORT_PAGE,
        product_queries=[p.ListProductsParams(limit=EXPORT_PAGE, status=state) for state in states],
    )
