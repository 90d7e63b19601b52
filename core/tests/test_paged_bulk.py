"""Core's paged bulk_operations for platforms without a bulk API: exports page through a plugin's own
listing, every page, one at a time; a finished handle polled again comes back as it is."""

from __future__ import annotations

from fusionhub.clock import VirtualClock
from fusionhub.context import StoreContext
from fusionhub.models import OperationStatus, Page, Product
from fusionhub.plugin import paged_bulk_operations
from fusionhub.plugin import params as p
from fusionhub.testing.harness import sandbox_run

CATALOG = [Product(id=str(n), platform="example", title=f"P{n}") for n in range(7)]


async def _list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    start = int(params.cursor or 0)
    chunk = [x for x in CATALOG if params.status in (None, "active")][start : start + params.limit]
    more = start + params.limit < len(CATALOG)
    return Page[Product](items=chunk, next_cursor=str(start + params.limit) if more else None)


async def _list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[object]:
    return Page[object](items=[], next_cursor=None)


def test_an_export_reads_every_page_and_a_poll_returns_the_finished_handle() -> None:
    run = sandbox_run("example", clock=VirtualClock())
    params = p.BulkOperationsParams(kind=p.BulkOperationKind.EXPORT_PRODUCTS)
    handle = run.clock.run(
        paged_bulk_operations(run.ctx, params, list_products=_list_products, list_orders=_list_orders, page_size=3)  # type: ignore[arg-type]
    )
    assert handle.status is OperationStatus.COMPLETED and handle.total == handle.done == 7
    assert [r["id"] for r in handle.result["products"]] == [str(n) for n in range(7)]
    assert handle.operation_id.startswith("example-export_products-")
    again = p.BulkOperationsParams(handle=handle)
    polled = run.clock.run(
        paged_bulk_operations(run.ctx, again, list_products=_list_products, list_orders=_list_orders)
    )  # type: ignore[arg-type]
    assert polled == handle
