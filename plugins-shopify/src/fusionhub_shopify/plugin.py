"""The Shopify plugin: its manifest (data) and its hookimpls, defined where they are implemented.

Loaded through entry point `fusionhub.plugins: shopify`. Importing it reads no files and makes
no requests; graphql-core is imported on the first request.
"""

from __future__ import annotations

from fusionhub.plugin import manifest_hook, sandbox_hook
from fusionhub_shopify.http import http_config as fusionhub_http_config
from fusionhub_shopify.ops.bulk import bulk_operations as fusionhub_bulk_operations
from fusionhub_shopify.ops.bulk import bulk_update as fusionhub_bulk_update
from fusionhub_shopify.ops.bulk import poll as fusionhub_poll_operation
from fusionhub_shopify.ops.inventory import get_inventory as fusionhub_get_inventory
from fusionhub_shopify.ops.inventory import sync_inventory as fusionhub_sync_inventory
from fusionhub_shopify.ops.inventory import update_variant_inventory as fusionhub_update_variant_inventory
from fusionhub_shopify.ops.once import reconcile as fusionhub_reconcile
from fusionhub_shopify.ops.orders import get_order as fusionhub_get_order
from fusionhub_shopify.ops.orders import list_orders as fusionhub_list_orders
from fusionhub_shopify.ops.orders import process_refund as fusionhub_process_refund
from fusionhub_shopify.ops.orders import update_order_status as fusionhub_update_order_status
from fusionhub_shopify.ops.products import create_product as fusionhub_create_product
from fusionhub_shopify.ops.products import delete_product as fusionhub_delete_product
from fusionhub_shopify.ops.products import get_product as fusionhub_get_product
from fusionhub_shopify.ops.products import list_products as fusionhub_list_products
from fusionhub_shopify.ops.products import update_product as fusionhub_update_product
from fusionhub_shopify.ops.webhooks import webhooks as fusionhub_webhooks
from fusionhub_shopify.webhooks.events import parse_webhook as fusionhub_parse_webhook

fusionhub_manifest = manifest_hook("fusionhub_shopify")
fusionhub_sandbox = sandbox_hook("fusionhub_shopify.sandbox:ShopifySandbox")
