"""The Gumroad plugin's hookimpls (entry point `fusionhub.plugins: gumroad`).

The capability handlers are hookimpls where they are written; this module names them by hook.
The three inventory capabilities are unsupported (digital goods) and have no hookimpl; bulk_update
has none either: the manifest declares it a fan-out of update_product, which core runs.
"""

from __future__ import annotations

from fusionhub.plugin import (
    AuthError,
    BearerAuth,
    HttpConfig,
    OperationHandle,
    Store,
    StoreContext,
    hookimpl,
    manifest_hook,
    sandbox_hook,
)
from fusionhub_gumroad.bulk import bulk_operations as fusionhub_bulk_operations
from fusionhub_gumroad.config import GumroadConfig
from fusionhub_gumroad.endpoints import BASE_URL, SLUG
from fusionhub_gumroad.once import reconcile as fusionhub_reconcile
from fusionhub_gumroad.products import create_product as fusionhub_create_product
from fusionhub_gumroad.products import delete_product as fusionhub_delete_product
from fusionhub_gumroad.products import get_product as fusionhub_get_product
from fusionhub_gumroad.products import list_products as fusionhub_list_products
from fusionhub_gumroad.products import update_product as fusionhub_update_product
from fusionhub_gumroad.sales import get_order as fusionhub_get_order
from fusionhub_gumroad.sales import list_orders as fusionhub_list_orders
from fusionhub_gumroad.sales import process_refund as fusionhub_process_refund
from fusionhub_gumroad.sales import update_order_status as fusionhub_update_order_status
from fusionhub_gumroad.webhooks import parse_webhook as fusionhub_parse_webhook
from fusionhub_gumroad.webhooks import webhooks as fusionhub_webhooks

fusionhub_manifest = manifest_hook("fusionhub_gumroad")
fusionhub_sandbox = sandbox_hook("fusionhub_gumroad.sandbox:GumroadSandbox")


@hookimpl
def fusionhub_http_config(store: Store) -> HttpConfig:
    GumroadConfig.of(store.config)  # a bad setting is refused before any request
    token = store.credentials.get("access_token")
    if not token:
        raise AuthError(
            "the store's credentials lack access_token (generate one in Gumroad's Settings > Advanced)", platform=SLUG
        )
    # The base URL is fixed (its host is endpoints.HOSTS): no store setting can send the token elsewhere.
    return HttpConfig(base_url=BASE_URL, auth=BearerAuth(token), headers={"accept": "application/json"})


@hookimpl
async def fusionhub_poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    return handle  # Gumroad's bulk workarounds finish within their call
