"""The access token on every Admin API request: core's refreshing OAuth with Shopify's details.

Shopify wants the token in `X-Shopify-Access-Token` (no prefix), refreshed at the shop's own
token endpoint; the header goes to the shop's own host only: staged-upload and bulk-result URLs
live on other hosts and must never see it. Refresh before expiry, once after a 401, the lock
and persisting the rotated tokens are core's (`OAuth2RefreshAuth`, wired by `Hub.connect`).
"""

from __future__ import annotations

from fusionhub.plugin import OAuth2RefreshAuth, Store, TokenSet, uses_client_credentials

HEADER = "X-Shopify-Access-Token"
REFRESH_MARGIN = 300.0  # refresh this many seconds before expiry


def token_url(shop: str) -> str:
    return f"https://{shop}/admin/oauth/access_token"


class AccessTokenAuth(OAuth2RefreshAuth):
    """An expiring offline token refreshes itself (a client-credentials one is bought again); a
    non-expiring one is sent as it is."""

    def __init__(self, store: Store, shop: str) -> None:
        creds = store.credentials
        super().__init__(
            TokenSet.from_credentials(creds),
            token_url=token_url(shop),
            client_id=creds.get("client_id", ""),
            client_secret=creds.get("client_secret"),
            header=HEADER,
            prefix="",
            leeway=REFRESH_MARGIN,
            hosts={shop},
            client_credentials=uses_client_credentials(creds),  # a Dev Dashboard app's 24-hour token
        )

    def can_refresh(self) -> bool:
        return super().can_refresh() and bool(self.client_id and self._client_secret)
