"""Request authentication: `x-api-key: keystring:shared_secret` plus the OAuth bearer token.

Core's OAuth2RefreshAuth does the bearer part: refresh before expiry and once after a 401,
serialized, and every new token set handed on to be persisted (Hub.connect wires the store's
saver). Etsy rotates the refresh token on every refresh, so persisting it is not optional.
This subclass only adds the API key header Etsy wants on every request.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

from fusionhub.credentials import Credentials
from fusionhub.errors import AuthError
from fusionhub.http import OAuth2RefreshAuth, TokenSet
from fusionhub.redaction import register_secret
from fusionhub_etsy.endpoints import TOKEN_URL


def api_key(credentials: Credentials) -> str:
    """The x-api-key value: since 2026-02-09 Etsy rejects the keystring without its shared secret."""
    try:
        return f"{credentials['keystring']}:{credentials['shared_secret']}"
    except KeyError as missing:
        raise AuthError(f"the store's credentials lack {missing.args[0]}", platform="etsy") from None


def tokens_of(credentials: Credentials) -> TokenSet:
    expires_at = credentials.get("expires_at")
    return TokenSet(
        access_token=credentials.get("access_token", ""),
        refresh_token=credentials.get("refresh_token"),
        expires_at=float(expires_at) if expires_at else None,
    )


class EtsyAuth(OAuth2RefreshAuth):
    def __init__(self, credentials: Credentials, *, token_url: str = TOKEN_URL) -> None:
        key = api_key(credentials)
        register_secret(key)
        super().__init__(tokens_of(credentials), token_url=token_url, client_id=credentials["keystring"])
        self._api_key = key

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["x-api-key"] = self._api_key
        flow = super().async_auth_flow(request)
        outgoing = await flow.__anext__()
        while True:
            response = yield outgoing
            try:
                outgoing = await flow.asend(response)
            except StopAsyncIteration:
                return
