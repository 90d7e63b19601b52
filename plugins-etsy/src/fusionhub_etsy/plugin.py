"""The Etsy plugin's hookimpls (entry point `fusionhub.plugins: etsy`).

The capability handlers are hookimpls where they are written; this module names them by hook.
process_refund and webhooks are declared unsupported and so have no hookimpl; events come from
fusionhub_poll_events instead. bulk_update has none either: the manifest declares it a fan-out
of update_product, which core runs. There is no fusionhub_poll_operation: every handle this
plugin returns is finished (Etsy's bulk workarounds complete within their call).
"""

from __future__ import annotations

from fusionhub.plugin import HttpConfig, RetryPolicy, Store, hookimpl, manifest_hook, sandbox_hook
from fusionhub_etsy.auth import etsy_auth
from fusionhub_etsy.bulk import bulk_operations as fusionhub_bulk_operations
from fusionhub_etsy.endpoints import BASE_URL
from fusionhub_etsy.orders import get_order as fusionhub_get_order
from fusionhub_etsy.orders import list_orders as fusionhub_list_orders
from fusionhub_etsy.orders import update_order_status as fusionhub_update_order_status
from fusionhub_etsy.polling import poll_events as fusionhub_poll_events
from fusionhub_etsy.products import create_product as fusionhub_create_product
from fusionhub_etsy.products import delete_product as fusionhub_delete_product
from fusionhub_etsy.products import get_product as fusionhub_get_product
from fusionhub_etsy.products import list_products as fusionhub_list_products
from fusionhub_etsy.products import update_product as fusionhub_update_product
from fusionhub_etsy.ratelimit import RATE_HEADERS
from fusionhub_etsy.stock import get_inventory as fusionhub_get_inventory
from fusionhub_etsy.stock import sync_inventory as fusionhub_sync_inventory
from fusionhub_etsy.stock import update_variant_inventory as fusionhub_update_variant_inventory

fusionhub_manifest = manifest_hook("fusionhub_etsy")
fusionhub_sandbox = sandbox_hook("fusionhub_etsy.sandbox:EtsySandbox")


@hookimpl
def fusionhub_http_config(store: Store) -> HttpConfig:
    return HttpConfig(
        base_url=BASE_URL,  # never from config: the credentials go to Etsy only
        auth=etsy_auth(store.credentials),
        headers={"accept": "application/json"},
        on_response=RATE_HEADERS.observe,
        # Transient failures are retried by core; a 429 is not waited out in the client but
        # becomes RateLimited(retry_after), so a worker re-schedules the job.
        retry=RetryPolicy(max_retry_after=0.0),
    )
