"""Request authentication: `x-api-key: keystring:shared_secret` plus the OAuth bearer token.

An expired access token (401) is refreshed once with the refresh-token grant and the request
replayed. Etsy rotates the refresh token on every refresh: the new pair replaces the store's
credentials and is handed to the host's saver so the next process does not hold a dead token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx

from fusionhub.credentials import Credentials
from fusionhub.errors import AuthError
from fusionhub.stores import Store
from fusionhub_etsy.endpoints import TOKEN_URL
from fusionhub_etsy.tokens import TokenSet, parse_token_response, refresh_request

Saver = Callable[[Credentials], Awaitable[None]]


def api_key(credentials: Credentials) -> str:
    """The x-api-key value: since 2026-02-09 Etsy rejects the keystring without its shared secret."""
    try:
        return f"{credentials['keystring']}:{credentials['shared_secret']}"
    except KeyError as missing:
        raise AuthError(f"the store's credentials lack {missing.args[0]}", platform="etsy") from None


class EtsyAuth(httpx.Auth):
    def __init__(self, store: Store, *, saver: Saver | None = None, token_url: str = TOKEN_URL) -> None:
        self.store = store
        self.saver = saver
        self.token_url = token_url
        self._lock = asyncio.Lock()

    def _apply(self, request: httpx.Request) -> str | None:
        creds = self.store.credentials
        request.headers["x-api-key"] = api_key(creds)
        token = creds.get("access_token")
        if token:
            request.headers["authorization"] = f"Bearer {token}"
        return token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = self._apply(request)
        response = yield request
        if response.status_code != 401 or not self.store.credentials.get("refresh_token"):
            return
        async with self._lock:
            if self.store.credentials.get("access_token") == used:  # nobody refreshed meanwhile
                token_response = yield refresh_request(self.token_url, self.store.credentials)
                await token_response.aread()
                await self._rotate(parse_token_response(token_response))
        self._apply(request)
        yield request

    async def _rotate(self, tokens: TokenSet) -> None:
        self.store.credentials = self.store.credentials.replace(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
        )
        if self.saver is not None:
            await self.saver(self.store.credentials)
