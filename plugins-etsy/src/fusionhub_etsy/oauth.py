"""Connecting a shop: OAuth 2.0 authorization code with PKCE (S256), as Etsy requires, on core's flow.

`begin` makes the authorize URL with a fresh `state` and code challenge; the caller keeps the
returned `AuthorizationRequest` (it holds the verifier) until the browser comes back; `complete`
checks the callback's `state` in constant time and exchanges the code with the verifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx

from fusionhub.plugin import (
    SYSTEM_CLOCK,
    AuthorizationRequest,
    Clock,
    TokenSet,
    check_callback,
    exchange_code,
    start_authorization,
)
from fusionhub_etsy.endpoints import AUTHORIZE_URL, TOKEN_URL


def begin(
    client_id: str, redirect_uri: str, scopes: Iterable[str], *, authorize_url: str = AUTHORIZE_URL
) -> AuthorizationRequest:
    """Etsy's scopes are space-separated, and it refuses an authorization without PKCE."""
    return start_authorization(authorize_url, client_id=client_id, redirect_uri=redirect_uri, scopes=scopes, pkce=True)


async def complete(
    pending: AuthorizationRequest,
    params: Mapping[str, str],
    client: httpx.AsyncClient,
    *,
    token_url: str = TOKEN_URL,
    clock: Clock = SYSTEM_CLOCK,
) -> TokenSet:
    """The access/refresh tokens for a checked callback; store them with the keystring and secret."""
    code = check_callback(params, pending.state, platform="etsy")
    return await exchange_code(client, token_url, pending.code_form(code), clock=clock, platform="etsy")
