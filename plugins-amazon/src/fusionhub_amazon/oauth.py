"""Connecting a seller: SP-API's website authorization workflow, on core's authorization pieces.

1. `begin` gives the Seller Central consent URL of the seller's marketplace,
   `https://sellercentral.amazon.com/apps/authorize/consent?application_id=...&state=...`
   (`version=beta` while the app is a draft), with a fresh unguessable `state` from core; keep
   the returned `AuthorizationRequest` server-side until the callback.
2. Amazon redirects to the app's registered redirect URI with `spapi_oauth_code`, `state` and
   `selling_partner_id`. `complete` checks the state in constant time (a forged or foreign
   callback is an AuthError), checks the seller when the store names one, and exchanges the code
   at LWA's token endpoint (`grant_type=authorization_code`, the app's client id and secret).
3. Store `tokens.as_credentials()` with the app's `client_id` / `client_secret`, and
   `selling_partner_id` as the store's `seller_id`. Sellers re-authorize every 365 days.

Amazon's consent URL takes `application_id` (the app's id, not its LWA client id) and no scope
(the app's roles are fixed at registration), so the URL is built here rather than with
`start_authorization`, whose parameters are RFC 6749's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from fusionhub.plugin import (
    SYSTEM_CLOCK,
    AuthError,
    AuthorizationRequest,
    Clock,
    TokenSet,
    check_callback,
    exchange_code,
    new_state,
)
from fusionhub_amazon.endpoints import MARKETPLACES, TOKEN_URL

CONSENT_PATH = "/apps/authorize/consent"
SLUG = "amazon-sc"


def consent_url(marketplace_id: str) -> str:
    """The Seller Central consent page of the marketplace's region (sellercentral.amazon.com when unknown)."""
    host = MARKETPLACES[marketplace_id][3] if marketplace_id in MARKETPLACES else "sellercentral.amazon.com"
    return f"https://{host}{CONSENT_PATH}"


def begin(
    application_id: str,
    client_id: str,
    *,
    marketplace_id: str = "ATVPDKIKX0DER",
    redirect_uri: str | None = None,
    draft: bool = False,
) -> AuthorizationRequest:
    """Where to send the seller; keep the request (its state) until the callback."""
    state = new_state()
    query = {"application_id": application_id, "state": state}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    if draft:
        query["version"] = "beta"
    url = f"{consent_url(marketplace_id)}?{urlencode(query)}"
    return AuthorizationRequest(url, state, None, client_id, redirect_uri or "", ())


@dataclass(frozen=True)
class Connection:
    """A completed authorization: the tokens to store and the seller they are for."""

    tokens: TokenSet
    selling_partner_id: str


async def complete(
    pending: AuthorizationRequest,
    params: Mapping[str, str],
    client: httpx.AsyncClient,
    *,
    client_secret: str,
    expected_seller: str | None = None,
    token_url: str = TOKEN_URL,
    clock: Clock = SYSTEM_CLOCK,
) -> Connection:
    """Check Amazon's callback and exchange its `spapi_oauth_code` for the seller's tokens."""
    callback = {k: v for k, v in params.items() if k in ("state", "error", "error_description")}
    code = check_callback({**callback, "code": params.get("spapi_oauth_code", "")}, pending.state, platform=SLUG)
    seller = params.get("selling_partner_id", "")
    if not seller:
        raise AuthError("Amazon's callback names no selling_partner_id", platform=SLUG)
    if expected_seller is not None and seller != expected_seller:
        raise AuthError("the seller who consented is not this store's seller", platform=SLUG)
    form = {"grant_type": "authorization_code", "code": code, "client_id": pending.client_id}
    form["client_secret"] = client_secret
    if pending.redirect_uri:
        form["redirect_uri"] = pending.redirect_uri
    tokens = await exchange_code(client, token_url, form, clock=clock, platform=SLUG)
    return Connection(tokens, seller)
