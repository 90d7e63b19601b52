"""bulk_operations as a workaround: Printify has no bulk API, so core's paged bulk runs it (updates
fan out one update_product job per item; exports stream every product or order page by page).
bulk_update is no code here: the manifest declares it `fan_out = "update_product"`.
"""

from __future__ import annotations

from fusionhub.plugin import OperationHandle, StoreContext, hookimpl, paged_bulk_operations
from fusionhub.plugin import params as p
from fusionhub_printify import orders, products, unverified


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    """Core's paged bulk: products 50 a page, orders 10 (Printify's page limits, [unverified])."""
    return await paged_bulk_operations(
        ctx,
        params,
        list_products=products.list_products,
        list_orders=orders.list_orders,
        page_size=unverified.ORDERS_MAX_LIMIT,
        product_queries=[p.ListProductsParams(limit=unverified.PRODUCTS_MAX_LIMIT)],
    )
