"""Where SP-API lives, as data: regional hosts, marketplaces by region, and the operations this plugin calls.

Sources: https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints (hosts),
https://developer-docs.amazon.com/sp-api/docs/marketplace-ids (marketplaces), and the official
models in shared/specs/amazon/ (method and path of each operation; their usage plans are the
manifest's rate table).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (a URL, not a secret)
TOKEN_HOST = "api.amazon.com"  # noqa: S105 (a host name)
REGIONS = ("NA", "EU", "FE")
API_HOSTS = {region: f"sellingpartnerapi-{region.lower()}.amazon.com" for region in REGIONS}
SANDBOX_HOSTS = {region: f"sandbox.sellingpartnerapi-{region.lower()}.amazon.com" for region in REGIONS}
ALL_API_HOSTS = frozenset(API_HOSTS.values()) | frozenset(SANDBOX_HOSTS.values())

# Marketplace id → (region, country code, default currency, Seller Central host for consent).
MARKETPLACES: dict[str, tuple[str, str, str, str]] = {
    "ATVPDKIKX0DER": ("NA", "US", "USD", "sellercentral.amazon.com"),
    "A2EUQ1WTGCTBG2": ("NA", "CA", "CAD", "sellercentral.amazon.ca"),
    "A1AM78C64UM0Y8": ("NA", "MX", "MXN", "sellercentral.amazon.com.mx"),
    "A2Q3Y263D00KWC": ("NA", "BR", "BRL", "sellercentral.amazon.com.br"),
    "A28R8C7NBKEWEA": ("EU", "IE", "EUR", "sellercentral.amazon.ie"),
    "A1RKKUPIHCS9HS": ("EU", "ES", "EUR", "sellercentral-europe.amazon.com"),
    "A1F83G8C2ARO7P": ("EU", "GB", "GBP", "sellercentral-europe.amazon.com"),
    "A13V1IB3VIYZZH": ("EU", "FR", "EUR", "sellercentral-europe.amazon.com"),
    "AMEN7PMS3EDWL": ("EU", "BE", "EUR", "sellercentral.amazon.com.be"),
    "A1805IZSGTT6HS": ("EU", "NL", "EUR", "sellercentral.amazon.nl"),
    "A1PA6795UKMFR9": ("EU", "DE", "EUR", "sellercentral-europe.amazon.com"),
    "APJ6JRA9NG5V4": ("EU", "IT", "EUR", "sellercentral-europe.amazon.com"),
    "A2NODRKZP88ZB9": ("EU", "SE", "SEK", "sellercentral.amazon.se"),
    "AE08WJ6YKNBMC": ("EU", "ZA", "ZAR", "sellercentral.amazon.co.za"),
    "A1C3SOZRARQ6R3": ("EU", "PL", "PLN", "sellercentral.amazon.pl"),
    "ARBP9OOSHTCHU": ("EU", "EG", "EGP", "sellercentral.amazon.eg"),
    "A33AVAJ2PDY3EV": ("EU", "TR", "TRY", "sellercentral.amazon.com.tr"),
    "A17E79C6D8DWNP": ("EU", "SA", "SAR", "sellercentral.amazon.sa"),
    "A2VIGQ35RCS4UG": ("EU", "AE", "AED", "sellercentral.amazon.ae"),
    "A21TJRUUN4KGV": ("EU", "IN", "INR", "sellercentral.amazon.in"),
    "A19VAU5U5O7RUS": ("FE", "SG", "SGD", "sellercentral.amazon.sg"),
    "A39IBJ37TRP1C6": ("FE", "AU", "AUD", "sellercentral.amazon.com.au"),
    "A1VC38T7YXB528": ("FE", "JP", "JPY", "sellercentral.amazon.co.jp"),
}


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str
    path: str  # template, e.g. "/listings/2021-08-01/items/{sellerId}/{sku}"
    grantless: bool = False  # called with a client-credentials token, not the seller's

    def url(self, **ids: str) -> str:
        """The path with its ids filled in, each percent-encoded (SKUs may hold '/', ' ' or '#')."""
        return self.path.format(**{name: quote(value, safe="") for name, value in ids.items()})


LISTING = "/listings/2021-08-01/items/{sellerId}/{sku}"
_TABLE = [
    Operation("searchListingsItems", "GET", "/listings/2021-08-01/items/{sellerId}"),
    Operation("getListingsItem", "GET", LISTING),
    Operation("putListingsItem", "PUT", LISTING),
    Operation("patchListingsItem", "PATCH", LISTING),
    Operation("deleteListingsItem", "DELETE", LISTING),
    Operation("getInventorySummaries", "GET", "/fba/inventory/v1/summaries"),
    Operation("searchOrders", "GET", "/orders/2026-01-01/orders"),
    Operation("getOrder", "GET", "/orders/2026-01-01/orders/{orderId}"),
    Operation("confirmShipment", "POST", "/orders/v0/orders/{orderId}/shipmentConfirmation"),
    Operation("createFeedDocument", "POST", "/feeds/2021-06-30/documents"),
    Operation("createFeed", "POST", "/feeds/2021-06-30/feeds"),
    Operation("getFeed", "GET", "/feeds/2021-06-30/feeds/{feedId}"),
    Operation("getFeedDocument", "GET", "/feeds/2021-06-30/documents/{feedDocumentId}"),
    Operation("getSubscription", "GET", "/notifications/v1/subscriptions/{notificationType}"),
    Operation("createSubscription", "POST", "/notifications/v1/subscriptions/{notificationType}"),
    Operation(
        "deleteSubscriptionById",
        "DELETE",
        "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
        grantless=True,
    ),
    Operation("getDestinations", "GET", "/notifications/v1/destinations", grantless=True),
    Operation("createDestination", "POST", "/notifications/v1/destinations", grantless=True),
]

OPERATIONS: dict[str, Operation] = {op.id: op for op in _TABLE}
