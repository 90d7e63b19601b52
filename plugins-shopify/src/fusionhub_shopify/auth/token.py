"""The access token on every Admin API request, refreshed before it expires.

The header goes to the shop's own host only: staged-upload and bulk-result URLs live on
other hosts and must never see the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator

import httpx

from fusionhub import AuthError, Store, StoreContext
from fusionhub_shopify.auth.oauth import refresh_tokens
from fusionhub_shopify.config import ShopConfig

HEADER = "X-Shopify-Access-Token"
REFRESH_MARGIN = 300.0  # refresh this many seconds before expiry
_LOCK = "shopify.refresh_lock"


class AccessTokenAuth(httpx.Auth):
    """Reads the store's current token at send time, so a rotated token is used at once."""

    def __init__(self, store: Store, shop: str) -> None:
        self._store = store
        self._shop = shop

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._store.credentials.get("access_token")
        if token and request.url.host == self._shop and not request.url.path.startswith("/admin/oauth/"):
            request.headers[HEADER] = token
        yield request


def _expires_at(ctx: StoreContext) -> float | None:
    raw = ctx.credentials.get("expires_at")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


async def ensure_fresh(ctx: StoreContext, *, force: bool = False) -> None:
    """Refresh an expiring offline token that is about to lapse, persist the rotated tokens."""
    expires_at = _expires_at(ctx)
    if not force and (expires_at is None or expires_at - ctx.clock.now() > REFRESH_MARGIN):
        return
    lock = ctx.extras.setdefault(_LOCK, asyncio.Lock())
    async with lock:
        expires_at = _expires_at(ctx)
        if not force and expires_at is not None and expires_at - ctx.clock.now() > REFRESH_MARGIN:
            return  # another task refreshed while we waited
        creds = ctx.credentials
        missing = [k for k in ("refresh_token", "client_id", "client_secret") if not creds.get(k)]
        if missing:
            if force or (expires_at is not None and expires_at <= ctx.clock.now()):
                raise AuthError(
                    "the access token expired and cannot be refreshed (missing " + ", ".join(missing) + ")",
                    platform="shopify",
                )
            return
        tokens = await refresh_tokens(
            ctx.http,
            ShopConfig.of(ctx.config).shop,
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            refresh_token=creds["refresh_token"],
            clock=ctx.clock,
        )
        ctx.store.credentials = creds.replace(**tokens.credential_fields())
        if ctx.save_credentials is not None:
            await ctx.save_credentials(ctx.store.credentials)
