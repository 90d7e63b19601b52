"""The Shopify plugin: its manifest (data) and one hookimpl per hook, each delegating to `ops`.

Loaded through entry point `fusionhub.plugins: shopify`. Importing it reads no files and makes
no requests; graphql-core is imported on the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from fusionhub.plugin import (
    BulkResult,
    Clock,
    DeleteResult,
    Event,
    HttpConfig,
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    OperationHandle,
    Order,
    Page,
    PluginManifest,
    Product,
    Refund,
    Sandbox,
    Store,
    StoreContext,
    WebhookSubscriptions,
    hookimpl,
    load_manifest,
)
from fusionhub.plugin import params as p
from fusionhub_shopify import http
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.ops import bulk, inventory, orders, products, webhooks
from fusionhub_shopify.webhooks import events


@cache
def _manifest() -> PluginManifest:
    return load_manifest("fusionhub_shopify", "manifest.toml")


@hookimpl
def fusionhub_manifest() -> PluginManifest:
    return _manifest()


@hookimpl
def fusionhub_http_config(store: Store) -> HttpConfig:
    return http.http_config(store)


@hookimpl
def fusionhub_sandbox(clock: Clock, options: Mapping[str, Any]) -> Sandbox:
    from fusionhub_shopify.sandbox import ShopifySandbox

    return ShopifySandbox(clock, **dict(options))


@hookimpl
async def fusionhub_poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    return await bulk.poll(ctx, handle)


@hookimpl
async def fusionhub_parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    config = ShopConfig.of(store.config)
    # A webhook_secret is set when deliveries are signed with another secret than the app's.
    secret = store.credentials.get("webhook_secret") or store.credentials.get("client_secret")
    return events.parse(
        headers, body, secret=secret, shop=config.shop, store_id=store.id, max_age=config.webhook_max_age_seconds
    )


# --- the 15 capabilities ---------------------------------------------------------------------


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
async def fusionhub_bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
    return await bulk.bulk_update(ctx, params)


@hookimpl
async def fusionhub_sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    return await inventory.sync_inventory(ctx, params)


@hookimpl
async def fusionhub_get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    return await inventory.get_inventory(ctx, params)


@hookimpl
async def fusionhub_update_variant_inventory(
    ctx: StoreContext, params: p.UpdateVariantInventoryParams
) -> InventoryLevel:
    return await inventory.update_variant_inventory(ctx, params)


@hookimpl
async def fusionhub_list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]:
    return await orders.list_orders(ctx, params)


@hookimpl
async def fusionhub_get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order:
    return await orders.get_order(ctx, params)


@hookimpl
async def fusionhub_update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order:
    return await orders.update_order_status(ctx, params)


@hookimpl
async def fusionhub_process_refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund:
    return await orders.process_refund(ctx, params)


@hookimpl
async def fusionhub_webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    return await webhooks.webhooks(ctx, params)


@hookimpl
async def fusionhub_bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    return await bulk.bulk_operations(ctx, params)
