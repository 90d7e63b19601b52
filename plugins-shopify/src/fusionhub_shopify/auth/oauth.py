"""The OAuth authorization-code install flow (public and custom distribution apps).

1. `authorize_url(...)` with a fresh `new_state()` kept in the user's session;
2. Shopify redirects back: `verify_callback(...)` checks hmac, state, timestamp age and shop;
3. `exchange_code(...)` trades the code for tokens (expiring offline tokens by default);
4. the store's `AccessTokenAuth` (core's refreshing OAuth) rotates them before they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

import httpx

from fusionhub.plugin import AuthError, Clock, TokenSet, meta
from fusionhub_shopify.auth.token import token_url
from fusionhub_shopify.config import SHOP_DOMAIN

CALLBACK_MAX_AGE = 86_400.0  # a callback older than a day is a replay
CLOCK_SKEW = 300.0  # a timestamp this far in the future is still accepted


def new_state() -> str:
    """An unguessable state value; keep it in the user's session until the callback."""
    return secrets.token_urlsafe(32)


def check_shop(shop: str) -> str:
    if not SHOP_DOMAIN.match(shop or ""):
        raise AuthError("the shop parameter is not a myshopify.com domain", platform="shopify")
    return shop


def authorize_url(
    shop: str,
    *,
    client_id: str,
    scopes: Iterable[str],
    redirect_uri: str,
    state: str,
    online: bool = False,
) -> str:
    query = {
        "client_id": client_id,
        "scope": ",".join(sorted(set(scopes))),
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if online:
        query["grant_options[]"] = "per-user"
    return f"https://{check_shop(shop)}/admin/oauth/authorize?{urlencode(query)}"


def callback_hmac(params: Mapping[str, str], client_secret: str) -> str:
    """Hex HMAC-SHA256 over the callback's other parameters, sorted and &-joined."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(client_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_callback(
    params: Mapping[str, str],
    *,
    client_secret: str,
    expected_state: str,
    clock: Clock,
    max_age: float = CALLBACK_MAX_AGE,
) -> str:
    """Check a redirect's parameters; return the verified shop domain or raise AuthError."""
    given = params.get("hmac", "")
    if not hmac.compare_digest(callback_hmac(params, client_secret), given):
        raise AuthError("the OAuth callback's hmac does not match: forged or altered", platform="shopify")
    if not expected_state or not hmac.compare_digest(params.get("state", ""), expected_state):
        raise AuthError("the OAuth callback's state does not match this session", platform="shopify")
    try:
        age = clock.now() - float(params.get("timestamp", ""))
    except ValueError:
        raise AuthError("the OAuth callback has no valid timestamp", platform="shopify") from None
    if age > max_age or age < -CLOCK_SKEW:
        raise AuthError("the OAuth callback is too old (or from the future): replayed", platform="shopify")
    if not params.get("code"):
        raise AuthError("the OAuth callback carries no code", platform="shopify")
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
    response = await client.post(
        token_url(check_shop(shop)),
        data=form,
        headers={"Accept": "application/json"},
        extensions=meta(cost=0, operation="oauth_token"),
    )
    if response.status_code != 200:
        raise AuthError(f"Shopify refused the token request ({response.status_code})", platform="shopify")
    try:
        return TokenSet.from_response(response.json(), clock.now())
    except (ValueError, AuthError):
        raise AuthError("Shopify's token response carries no access token", platform="shopify") from None
