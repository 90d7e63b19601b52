"""The Amazon Seller Central plugin's hookimpls (entry point `fusionhub.plugins: amazon-sc`).

The capability handlers are hookimpls where they are written; this module names them by hook.
process_refund is declared unsupported and has no hookimpl.
"""

from __future__ import annotations

from fusionhub.plugin import HttpConfig, Store, hookimpl, manifest_hook, sandbox_hook
from fusionhub_amazon.auth import TOKEN_HEADER, lwa_auth
from fusionhub_amazon.client import base_url
from fusionhub_amazon.feeds import bulk_operations as fusionhub_bulk_operations
from fusionhub_amazon.feeds import bulk_update as fusionhub_bulk_update
from fusionhub_amazon.feeds import poll_operation as fusionhub_poll_operation
from fusionhub_amazon.inventory import get_inventory as fusionhub_get_inventory
from fusionhub_amazon.inventory import sync_inventory as fusionhub_sync_inventory
from fusionhub_amazon.inventory import update_variant_inventory as fusionhub_update_variant_inventory
from fusionhub_amazon.listings import create_product as fusionhub_create_product
from fusionhub_amazon.listings import delete_product as fusionhub_delete_product
from fusionhub_amazon.listings import get_product as fusionhub_get_product
from fusionhub_amazon.listings import list_products as fusionhub_list_products
from fusionhub_amazon.listings import update_product as fusionhub_update_product
from fusionhub_amazon.notifications import parse_webhook as fusionhub_parse_webhook
from fusionhub_amazon.notifications import webhooks as fusionhub_webhooks
from fusionhub_amazon.once import reconcile as fusionhub_reconcile
from fusionhub_amazon.orders import get_order as fusionhub_get_order
from fusionhub_amazon.orders import list_orders as fusionhub_list_orders
from fusionhub_amazon.orders import update_order_status as fusionhub_update_order_status
from fusionhub_amazon.ratelimit import observe_limits

fusionhub_manifest = manifest_hook("fusionhub_amazon")
fusionhub_sandbox = sandbox_hook("fusionhub_amazon.sandbox:AmazonSandbox")


@hookimpl
def fusionhub_http_config(store: Store) -> HttpConfig:
    return HttpConfig(
        base_url=base_url(store.config),
        auth=lwa_auth(store.credentials),
        headers={"accept": "application/json"},
        on_response=observe_limits,
        secret_names=(TOKEN_HEADER,),
    )
