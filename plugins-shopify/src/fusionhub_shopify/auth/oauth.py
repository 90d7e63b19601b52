"""The OAuth authorization-code install flow (public and custom distribution apps), on core's.

1. `authorize_url(...)` with a fresh `new_state()` kept in the user's session;
2. Shopify redirects back: `verify_callback(...)` checks hmac, state, timestamp age and shop;
3. `exchange_code(...)` trades the code for tokens (expiring offline tokens by default);
4. the store's `AccessTokenAuth` (core's refreshing OAuth) rotates them before they expire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx

from fusionhub.plugin import (
    AuthError,
    Clock,
    QueryHmac,
    TokenSet,
    check_callback,
    check_timestamp,
    new_state,
    start_authorization,
)
from fusionhub.plugin import exchange_code as exchange
from fusionhub_shopify.auth.token import token_url
from fusionhub_shopify.config import SHOP_DOMAIN

__all__ = ["authorize_url", "check_shop", "exchange_code", "new_state", "verify_callback"]

CALLBACK_MAX_AGE = 86_400.0  # a callback older than a day is a replay
CLOCK_SKEW = 300.0  # a timestamp this far in the future is still accepted
# Shopify signs the callback's other parameters, sorted and &-joined; `signature` is a legacy one.
CALLBACK_SIGNATURE = QueryHmac(param="hmac", unsigned=("signature",))


def check_shop(shop: str) -> str:
    if not SHOP_DOMAIN.match(shop or ""):
        raise AuthError("the shop parameter is not a myshopify.com domain", platform="shopify")
    return shop


def authorize_url(
    shop: str, *, client_id: str, scopes: Iterable[str], redirect_uri: str, state: str, online: bool = False
) -> str:
    return start_authorization(
        f"https://{check_shop(shop)}/admin/oauth/authorize",
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=sorted(set(scopes)),
        scope_separator=",",
        state=state,
        response_type=None,
        extra={"grant_options[]": "per-user"} if online else None,
    ).url


def verify_callback(
    params: Mapping[str, str],
    *,
    client_secret: str,
    expected_state: str,
    clock: Clock,
    max_age: float = CALLBACK_MAX_AGE,
) -> str:
    """Check a redirect's parameters; return the verified shop domain or raise AuthError."""
    CALLBACK_SIGNATURE.verify(client_secret, params, platform="shopify")
    check_callback(params, expected_state, platform="shopify")
    what = "the OAuth callback"
    check_timestamp(params.get("timestamp"), clock.now(), max_age, future=CLOCK_SKEW, what=what, platform="shopify")
    return check_shop(params.get("shop", ""))


async def exchange_code(
    client: httpx.AsyncClient,
    shop: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    clock: Clock,
    expiring: bool = True,
) -> TokenSet:
    """Trade the callback's code for tokens; expiring offline tokens unless told otherwise."""
    form = {"client_id": client_id, "client_secret": client_secret, "code": code}
    if expiring:
        form["expiring"] = "1"
    return await exchange(client, token_url(check_shop(shop)), form, clock=clock, platform="shopify")
