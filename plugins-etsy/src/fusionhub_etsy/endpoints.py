"""The Open API v3 operations this plugin calls, as data: method, path template, OAuth scope.

Paths are relative to the base URL; the scope column is the operation's `security` entry in
Etsy's OpenAPI document (the sandbox enforces it, the plugin requests it per capability).
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_URL = "https://openapi.etsy.com/v3/application/"
TOKEN_URL = "https://api.etsy.com/v3/public/oauth/token"  # noqa: S105 (a URL, not a secret)
AUTHORIZE_URL = "https://www.etsy.com/oauth/connect"


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str
    path: str  # template relative to BASE_URL, e.g. "listings/{listing_id}"
    scope: str | None

    def url(self, **ids: int | str) -> str:
        return self.path.format(**ids)


_TABLE = [
    Operation("getListingsByShop", "GET", "shops/{shop_id}/listings", "listings_r"),
    Operation("getListing", "GET", "listings/{listing_id}", None),
    Operation("createDraftListing", "POST", "shops/{shop_id}/listings", "listings_w"),
    Operation("updateListing", "PATCH", "shops/{shop_id}/listings/{listing_id}", "listings_w"),
    Operation("deleteListing", "DELETE", "listings/{listing_id}", "listings_d"),
    Operation("getListingInventory", "GET", "listings/{listing_id}/inventory", "listings_r"),
    Operation("updateListingInventory", "PUT", "listings/{listing_id}/inventory", "listings_w"),
    Operation("uploadListingImage", "POST", "shops/{shop_id}/listings/{listing_id}/images", "listings_w"),
    Operation("getShopReceipts", "GET", "shops/{shop_id}/receipts", "transactions_r"),
    Operation("getShopReceipt", "GET", "shops/{shop_id}/receipts/{receipt_id}", "transactions_r"),
    Operation("updateShopReceipt", "PUT", "shops/{shop_id}/receipts/{receipt_id}", "transactions_w"),
    Operation("createReceiptShipment", "POST", "shops/{shop_id}/receipts/{receipt_id}/tracking", "transactions_w"),
]

OPERATIONS: dict[str, Operation] = {op.id: op for op in _TABLE}
