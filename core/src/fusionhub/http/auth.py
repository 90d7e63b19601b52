"""Auth flows as `httpx.Auth` subclasses: API key, static bearer, refreshing bearer, LWA.

A refreshing flow refreshes before expiry (on the fusionhub clock) and once after a 401;
refreshes are serialized by a lock so concurrent requests trigger one refresh, and every
new token set (a rotated refresh token included) is handed to `on_refresh` to be persisted.
The refresh request goes through the store's own client, so it is timed, logged (redacted)
and never charged to the platform's buckets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from fusionhub.clock import SYSTEM_CLOCK, Clock
from fusionhub.errors import AuthError
from fusionhub.http.config import RequestMeta
from fusionhub.redaction import REDACTED, register_secret

if TYPE_CHECKING:
    from fusionhub.credentials import Credentials
    from fusionhub.stores import Store

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (a URL, not a secret)
# Refresh this many seconds before the token's stated expiry.
DEFAULT_LEEWAY = 60.0
AUTH_META = {"fusionhub": RequestMeta(cost=0.0, retry=False, operation="auth")}


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # clock seconds; None: does not expire

    def __post_init__(self) -> None:
        register_secret(self.access_token, self.refresh_token)

    def due(self, now: float, leeway: float = DEFAULT_LEEWAY) -> bool:
        return not self.access_token or (self.expires_at is not None and now >= self.expires_at - leeway)

    def as_credentials(self) -> dict[str, str | None]:
        """The credential fields a rotation changes (for `Credentials.replace`)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": None if self.expires_at is None else repr(self.expires_at),
        }

    def __repr__(self) -> str:
        return f"TokenSet(access_token={REDACTED!r}, refresh_token={REDACTED!r}, expires_at={self.expires_at!r})"


TokenSaver = Callable[[TokenSet], Awaitable[None]]


class _AsyncOnly(httpx.Auth):
    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("fusionhub clients are async: use httpx.AsyncClient")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ApiKeyAuth(_AsyncOnly):
    """A key in a header (`x-api-key: …`) or a query parameter (`?access_token=…`)."""

    def __init__(self, key: str, *, header: str | None = "x-api-key", query_param: str | None = None, prefix: str = ""):
        if (header is None) == (query_param is None):
            raise ValueError("put the key in exactly one place: a header or a query parameter")
        register_secret(key)
        self._value = prefix + key
        self._header = header
        self._query_param = query_param

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._header is not None:
            request.headers[self._header] = self._value
        else:
            assert self._query_param is not None
            request.url = request.url.copy_merge_params({self._query_param: self._value})
        yield request


class BearerAuth(_AsyncOnly):
    """A token that does not expire (Printify personal token, Gumroad access token)."""

    def __init__(self, token: str, *, header: str = "Authorization", prefix: str = "Bearer ") -> None:
        register_secret(token)
        self._header = header
        self._value = prefix + token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers[self._header] = self._value
        yield request


class RefreshingAuth(_AsyncOnly):
    """Base of token flows that can get a new access token; subclasses say how."""

    requires_response_body = True  # the refresh response's JSON must be readable here

    def __init__(
        self,
        tokens: TokenSet,
        *,
        clock: Clock = SYSTEM_CLOCK,
        header: str = "Authorization",
        prefix: str = "Bearer ",
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: TokenSaver | None = None,
    ) -> None:
        self.tokens = tokens
        self.clock = clock
        self.header = header
        self.prefix = prefix
        self.leeway = leeway
        self.on_refresh = on_refresh
        self.refreshes = 0
        self._lock = asyncio.Lock()

    # --- what a subclass provides ---------------------------------------------------------

    def refresh_request(self) -> httpx.Request:
        raise NotImplementedError

    def parse_refresh(self, response: httpx.Response) -> TokenSet:
        """OAuth 2.0 token response; a refresh token not sent again stays the one we had."""
        try:
            body: Any = response.json()
            access = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AuthError("the token endpoint's answer carried no access token") from None
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=access,
            refresh_token=str(body.get("refresh_token") or self.tokens.refresh_token or "") or None,
            expires_at=self.clock.now() + float(expires_in) if expires_in is not None else None,
        )

    # --- the flow -------------------------------------------------------------------------

    def _due(self) -> bool:
        return self.tokens.due(self.clock.now(), self.leeway)

    async def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise AuthError(
                f"refreshing the access token failed with HTTP {response.status_code}; reconnect the store",
                details={"status": response.status_code},
            )
        self.tokens = self.parse_refresh(response)
        self.refreshes += 1
        if self.on_refresh is not None:
            await self.on_refresh(self.tokens)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._due():
            async with self._lock:
                if self._due():  # another request may have refreshed while this one waited
                    await self._accept((yield self.refresh_request()))
        used = self.tokens.access_token
        request.headers[self.header] = self.prefix + used
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self.tokens.access_token == used:  # nobody has replaced the rejected token yet
                await self._accept((yield self.refresh_request()))
        request.headers[self.header] = self.prefix + self.tokens.access_token
        yield request


class OAuth2RefreshAuth(RefreshingAuth):
    """Bearer token renewed by the OAuth 2.0 refresh-token grant (Etsy, Shopify expiring tokens)."""

    def __init__(
        self,
        tokens: TokenSet,
        *,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        header: str = "Authorization",
        prefix: str = "Bearer ",
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: TokenSaver | None = None,
    ) -> None:
        super().__init__(tokens, clock=clock, header=header, prefix=prefix, leeway=leeway, on_refresh=on_refresh)
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret

    def refresh_request(self) -> httpx.Request:
        if not self.tokens.refresh_token:
            raise AuthError("the access token expired and there is no refresh token; reconnect the store")
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token, "client_id": self.client_id}
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return httpx.Request("POST", self.token_url, data=form, extensions=AUTH_META)


class LwaAuth(RefreshingAuth):
    """Login with Amazon: refresh-token grant, or client credentials for grantless operations."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str | None = None,
        scope: str | None = None,
        token_url: str = LWA_TOKEN_URL,
        clock: Clock = SYSTEM_CLOCK,
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: TokenSaver | None = None,
    ) -> None:
        if (refresh_token is None) == (scope is None):
            raise ValueError("LWA needs either a refresh token (seller operations) or a scope (grantless)")
        super().__init__(
            TokenSet(access_token="", refresh_token=refresh_token, expires_at=None),
            clock=clock,
            header="x-amz-access-token",
            prefix="",
            leeway=leeway,
            on_refresh=on_refresh,
        )
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope

    def refresh_request(self) -> httpx.Request:
        form = {"client_id": self.client_id, "client_secret": self._client_secret}
        if self.tokens.refresh_token:
            form.update(grant_type="refresh_token", refresh_token=self.tokens.refresh_token)
        else:
            assert self.scope is not None
            form.update(grant_type="client_credentials", scope=self.scope)
        return httpx.Request("POST", self.token_url, data=form, extensions=AUTH_META)


def store_token_saver(store: Store, save: Callable[[], Callable[[Credentials], Awaitable[None]] | None]) -> TokenSaver:
    """Persist rotated tokens into `store.credentials`, then through the host's saver (looked up late)."""

    async def saver(tokens: TokenSet) -> None:
        store.credentials = store.credentials.replace(**tokens.as_credentials())
        persist = save()
        if persist is not None:
            await persist(store.credentials)

    return saver
