"""The Printify REST API v1 operations this plugin calls, as data: method, path, rate class.

Paths are relative to BASE_URL (every operation, image uploads included, goes to that one host:
the store's token is never sent anywhere else). `endpoint_class` names the extra bucket a call
spends from besides the account's window (manifest.toml: `catalog` 100/min, `publishing` 200/30 min).
"""

from __future__ import annotations

from dataclasses import dataclass

API_HOST = "api.printify.com"
BASE_URL = f"https://{API_HOST}/v1/"
USER_AGENT = "fusionhub-printify/1.5.0"  # Printify asks every client to send a User-Agent


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str
    path: str  # template relative to BASE_URL, e.g. "shops/{shop_id}/products/{product_id}.json"
    endpoint_class: str | None = None

    def url(self, **ids: int | str) -> str:
        return self.path.format(**ids)


_TABLE = [
    Operation("listShops", "GET", "shops.json"),
    Operation("getBlueprint", "GET", "catalog/blueprints/{blueprint_id}.json", "catalog"),
    Operation(
        "getProviderVariants",
        "GET",
        "catalog/blueprints/{blueprint_id}/print_providers/{print_provider_id}/variants.json",
        "catalog",
    ),
    Operation("uploadImage", "POST", "uploads/images.json"),
    Operation("listProducts", "GET", "shops/{shop_id}/products.json"),
    Operation("getProduct", "GET", "shops/{shop_id}/products/{product_id}.json"),
    Operation("createProduct", "POST", "shops/{shop_id}/products.json"),
    Operation("updateProduct", "PUT", "shops/{shop_id}/products/{product_id}.json"),
    Operation("deleteProduct", "DELETE", "shops/{shop_id}/products/{product_id}.json"),
    Operation("publishProduct", "POST", "shops/{shop_id}/products/{product_id}/publish.json", "publishing"),
    Operation("publishingSucceeded", "POST", "shops/{shop_id}/products/{product_id}/publishing_succeeded.json"),
    Operation("publishingFailed", "POST", "shops/{shop_id}/products/{product_id}/publishing_failed.json"),
    Operation("listOrders", "GET", "shops/{shop_id}/orders.json"),
    Operation("getOrder", "GET", "shops/{shop_id}/orders/{order_id}.json"),
    Operation("sendToProduction", "POST", "shops/{shop_id}/orders/{order_id}/send_to_production.json"),
    Operation("cancelOrder", "POST", "shops/{shop_id}/orders/{order_id}/cancel.json"),
    Operation("listWebhooks", "GET", "shops/{shop_id}/webhooks.json"),
    Operation("createWebhook", "POST", "shops/{shop_id}/webhooks.json"),
    Operation("deleteWebhook", "DELETE", "shops/{shop_id}/webhooks/{webhook_id}.json"),
]

OPERATIONS: dict[str, Operation] = {op.id: op for op in _TABLE}
