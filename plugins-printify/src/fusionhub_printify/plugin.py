"""The Printify plugin's hookimpls (entry point `fusionhub.plugins: printify`).

The capability handlers are hookimpls where they are written; this module names them by hook.
process_refund is declared unsupported and so has no hookimpl. bulk_update has none either: the
manifest declares it a fan-out of update_product, which core runs. fusionhub_reconcile finds what
an earlier run of a re-run write left on Printify (the manifest's `once` says which writes use it).
"""

from __future__ import annotations

from fusionhub.plugin import OperationHandle, StoreContext, hookimpl, manifest_hook, sandbox_hook
from fusionhub_printify.bulk import bulk_operations as fusionhub_bulk_operations
from fusionhub_printify.http import http_config as fusionhub_http_config
from fusionhub_printify.orders import get_order as fusionhub_get_order
from fusionhub_printify.orders import list_orders as fusionhub_list_orders
from fusionhub_printify.orders import update_order_status as fusionhub_update_order_status
from fusionhub_printify.products import create_product as fusionhub_create_product
from fusionhub_printify.products import delete_product as fusionhub_delete_product
from fusionhub_printify.products import get_product as fusionhub_get_product
from fusionhub_printify.products import list_products as fusionhub_list_products
from fusionhub_printify.products import update_product as fusionhub_update_product
from fusionhub_printify.reconcile import reconcile as fusionhub_reconcile
from fusionhub_printify.stock import get_inventory as fusionhub_get_inventory
from fusionhub_printify.stock import sync_inventory as fusionhub_sync_inventory
from fusionhub_printify.stock import update_variant_inventory as fusionhub_update_variant_inventory
from fusionhub_printify.webhooks import parse_webhook as fusionhub_parse_webhook
from fusionhub_printify.webhooks import webhooks as fusionhub_webhooks

fusionhub_manifest = manifest_hook("fusionhub_printify")
fusionhub_sandbox = sandbox_hook("fusionhub_printify.sandbox:PrintifySandbox")


@hookimpl
async def fusionhub_poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    return handle  # Printify's bulk workarounds finish within their call
