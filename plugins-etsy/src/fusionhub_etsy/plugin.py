"""The Etsy plugin's hookimpls: thin wrappers over the modules that do the work.

Loaded through entry point `fusionhub.plugins: etsy`. process_refund and webhooks are declared
unsupported and so have no hookimpl; events come from fusionhub_poll_events instead. bulk_update
has none either: the manifest declares it a fan-out of update_product, which core runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from fusionhub.plugin import (
    Clock,
    DeleteResult,
    EventBatch,
    HttpConfig,
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    OperationHandle,
    Order,
    Page,
    PluginManifest,
    Product,
    RetryPolicy,
    Store,
    StoreContext,
    hookimpl,
    load_manifest,
)
from fusionhub.plugin import params as p
from fusionhub_etsy import bulk, orders, polling, products, stock
from fusionhub_etsy.auth import etsy_auth
from fusionhub_etsy.endpoints import BASE_URL
from fusionhub_etsy.ratelimit import observe_limits


@cache
def manifest() -> PluginManifest:
    return load_manifest("fusionhub_etsy", "manifest.toml")


@hookimpl
def fusionhub_manifest() -> PluginManifest:
    return manifest()


@hookimpl
def fusionhub_http_config(store: Store) -> HttpConfig:
    return HttpConfig(
        base_url=str(store.config.get("base_url") or BASE_URL),
        auth=etsy_auth(store.credentials),
        headers={"accept": "application/json"},
        on_response=observe_limits,
        # Transient failures are retried by core; a 429 is not waited out in the client but
        # becomes RateLimited(retry_after), so a worker re-schedules the job.
        retry=RetryPolicy(max_retry_after=0.0),
    )


@hookimpl
def fusionhub_sandbox(clock: Clock, options: Mapping[str, Any]) -> Any:
    from fusionhub_etsy.sandbox import EtsySandbox  # only hosts that ask for a sandbox import it

    return EtsySandbox(clock, **dict(options))


@hookimpl
async def fusionhub_poll_events(ctx: StoreContext, cursor: str | None) -> EventBatch:
    return await polling.poll_events(ctx, cursor)


@hookimpl
async def fusionhub_poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    return handle  # Etsy's bulk workarounds finish within their call


@hookimpl
async def fusionhub_list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    return await products.list_products(ctx, params)


@hookimpl
async def fusionhub_get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    return await products.get_product(ctx, params)


@hookimpl
async def fusionhub_create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    return await products.create_product(ctx, params)


@hookimpl
async def fusionhub_update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    return await products.update_product(ctx, params)


@hookimpl
async def fusionhub_delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    return await products.delete_product(ctx, params)


@hookimpl
async def fusionhub_bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    return await bulk.bulk_operations(ctx, params)


@hookimpl
async def fusionhub_sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    return await stock.sync_inventory(ctx, params)


@hookimpl
async def fusionhub_get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    return await stock.get_inventory(ctx, params)


@hookimpl
async def fusionhub_update_variant_inventory(
    ctx: StoreContext, params: p.UpdateVariantInventoryParams
) -> InventoryLevel:
    return await stock.update_variant_inventory(ctx, params)


@hookimpl
async def fusionhub_list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    return await orders.list_orders(ctx, params)


@hookimpl
async def fusionhub_get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return await orders.get_order(ctx, params)


@hookimpl
async def fusionhub_update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    return await orders.update_order_status(ctx, params)
