"""Auth flows as `httpx.Auth` subclasses: API key, HTTP Basic, static bearer, refreshing bearer.

A refreshing flow refreshes before expiry (on the fusionhub clock) and once after a 401;
refreshes are serialized by a lock so concurrent requests trigger one refresh, and every
new token set (a rotated refresh token included) is handed to `on_refresh` to be persisted.
With `shared` set (the runtime sets it: `fusionhub.storage.refresh_locks`), the refresh is also
one at a time across processes: under the store's refresh lock the saved tokens are read first,
and a token another process has just refreshed is used instead of refreshing again; a refresh
refused because another process spent the refresh token reads the saved tokens and goes on.
The refresh request goes through the store's own client, so it is timed, logged (redacted)
and never charged to the platform's buckets.

Extension points of `RefreshingAuth` (a plugin overrides or passes only what is its own):
`header`/`prefix` (where the token goes), `hosts` (the only hosts that see it), `headers`
(secret headers sent beside it, e.g. an API key), `applies_to(request)`, `can_refresh()`,
`refresh_request()` and, on `OAuth2RefreshAuth`, `refresh_form()` (the refresh request's shape).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Generator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from fusionhub.clock import SYSTEM_CLOCK, Clock
from fusionhub.errors import AuthError
from fusionhub.http.config import RequestMeta
from fusionhub.observability.redaction import REDACTED, register_secret

if TYPE_CHECKING:
    from fusionhub.credentials import Credentials
    from fusionhub.stores import Store

# Refresh this many seconds before the token's stated expiry.
DEFAULT_LEEWAY = 60.0
AUTH_META = {"fusionhub": RequestMeta(cost=0.0, retry=False, operation="auth")}


def _seconds(value: object) -> float | None:
    try:
        return float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # clock seconds; None: does not expire
    scope: str | None = None  # as granted, when the token endpoint says
    refresh_expires_at: float | None = None  # when the refresh token itself lapses, if it does

    def __post_init__(self) -> None:
        register_secret(self.access_token, self.refresh_token)

    @classmethod
    def from_credentials(cls, credentials: Credentials) -> TokenSet:
        """The token fields of a store's credentials (as `as_credentials` wrote them)."""
        return cls(
            access_token=credentials.get("access_token", ""),
            refresh_token=credentials.get("refresh_token") or None,
            expires_at=_seconds(credentials.get("expires_at")),
            scope=credentials.get("scope"),
            refresh_expires_at=_seconds(credentials.get("refresh_expires_at")),
        )

    @classmethod
    def from_response(cls, body: Any, now: float, *, refresh_token: str | None = None) -> TokenSet:
        """An OAuth 2.0 token response (RFC 6749 §5.1); a refresh token not sent again stays `refresh_token`."""
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthError("the token endpoint's answer carried no access token")

        def at(key: str) -> float | None:
            seconds = _seconds(body.get(key))
            return None if seconds is None else now + seconds

        return cls(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or refresh_token or "") or None,
            expires_at=at("expires_in"),
            scope=str(body["scope"]) if body.get("scope") is not None else None,
            refresh_expires_at=at("refresh_token_expires_in"),
        )

    def due(self, now: float, leeway: float = DEFAULT_LEEWAY) -> bool:
        return not self.access_token or (self.expires_at is not None and now >= self.expires_at - leeway)

    def as_credentials(self) -> dict[str, str | None]:
        """The credential fields a rotation changes (for `Credentials.replace`; None removes a field)."""
        fields: dict[str, str | None] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": None if self.expires_at is None else repr(self.expires_at),
        }
        if self.scope is not None:  # an endpoint that does not repeat the scope leaves it as it was
            fields["scope"] = self.scope
        if self.refresh_expires_at is not None:
            fields["refresh_expires_at"] = repr(self.refresh_expires_at)
        return fields

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={REDACTED!r}, refresh_token={REDACTED!r}, expires_at={self.expires_at!r}, "
            f"scope={self.scope!r})"
        )


TokenSaver = Callable[[TokenSet], Awaitable[None]]


class SharedTokens(Protocol):
    """A store's tokens as every process sees them: the refresh lock, and what is saved now."""

    def held(self) -> AbstractAsyncContextManager[None]:
        """Hold the store's refresh lock (across processes) while inside."""
        ...

    async def load(self) -> TokenSet:
        """The store's tokens as saved now (another process may have rotated them)."""
        ...


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


class BasicAuth(_AsyncOnly):
    """HTTP Basic (RFC 7617): `Authorization: Basic base64(username:password)` on every request."""

    def __init__(self, username: str, password: str) -> None:
        if ":" in username:
            raise ValueError("a Basic auth username cannot contain ':'")
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        register_secret(password, encoded)
        self.username = username
        self._value = "Basic " + encoded

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password={REDACTED!r})"


class BearerAuth(_AsyncOnly):
    """A token that does not expire (a personal access token)."""

    def __init__(self, token: str, *, header: str = "Authorization", prefix: str = "Bearer ") -> None:
        register_secret(token)
        self._header = header
        self._value = prefix + token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers[self._header] = self._value
        yield request


class RefreshingAuth(_AsyncOnly):
    """Base of token flows that can get a new access token; subclasses say how.

    `hosts`: the only hosts that receive the token and `headers` (None: every host the client
    calls); signed download or upload URLs on other hosts then never see a credential.
    """

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
        hosts: Collection[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.tokens = tokens
        self.clock = clock
        self.header = header
        self.prefix = prefix
        self.leeway = leeway
        self.on_refresh = on_refresh
        self.hosts = frozenset(hosts) if hosts is not None else None
        self._headers = dict(headers or {})
        register_secret(*self._headers.values())
        self.refreshes = 0
        self._lock = asyncio.Lock()
        self.shared: SharedTokens | None = None  # set by the host: refreshes serialized across processes

    # --- what a subclass provides ---------------------------------------------------------

    def refresh_request(self) -> httpx.Request:
        raise NotImplementedError

    def can_refresh(self) -> bool:
        """False when a refresh cannot succeed (no refresh token): the current token is used as is."""
        return True

    def applies_to(self, request: httpx.Request) -> bool:
        """Whether this request carries the credentials (and may trigger a refresh)."""
        return self.hosts is None or request.url.host in self.hosts

    def parse_refresh(self, response: httpx.Response) -> TokenSet:
        """OAuth 2.0 token response; a refresh token or scope not sent again stays the one we had."""
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        tokens = TokenSet.from_response(body, self.clock.now(), refresh_token=self.tokens.refresh_token)
        return tokens if tokens.scope is not None else replace(tokens, scope=self.tokens.scope)

    # --- the flow -------------------------------------------------------------------------

    def _due(self) -> bool:
        return self.tokens.due(self.clock.now(), self.leeway)

    def _unusable(self) -> bool:
        expires_at = self.tokens.expires_at
        return not self.tokens.access_token or (expires_at is not None and self.clock.now() >= expires_at)

    def _held(self) -> AbstractAsyncContextManager[None]:
        return self.shared.held() if self.shared is not None else contextlib.nullcontext()

    async def _adopt_saved(self) -> bool:
        """Take the saved tokens when another process has replaced ours; whether it had."""
        if self.shared is None:
            return False
        saved = await self.shared.load()
        if not saved.access_token or (saved.access_token, saved.refresh_token) == (
            self.tokens.access_token,
            self.tokens.refresh_token,
        ):
            return False
        self.tokens = saved
        return True

    async def _accept(self, response: httpx.Response) -> None:
        await response.aread()
        if response.status_code != 200 and await self._adopt_saved():
            return  # another process refreshed first and spent the refresh token we sent: theirs it is
        if response.status_code != 200:
            raise AuthError(
                f"refreshing the access token failed with HTTP {response.status_code}; reconnect the store",
                details={"status": response.status_code},
            )
        self.tokens = self.parse_refresh(response)
        self.refreshes += 1
        if self.on_refresh is not None:
            await self.on_refresh(self.tokens)

    def _sign(self, request: httpx.Request) -> str:
        request.headers.update(self._headers)
        used = self.tokens.access_token
        if used:
            request.headers[self.header] = self.prefix + used
        return used

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self.applies_to(request):
            yield request
            return
        if self._due():
            if not self.can_refresh():
                if self._unusable():
                    raise AuthError("the access token expired and cannot be refreshed; reconnect the store")
            else:
                async with self._lock:
                    if self._due():  # another request may have refreshed while this one waited
                        async with self._held():
                            await self._adopt_saved()  # or another process, while we waited for its lock
                            if self._due():
                                await self._accept((yield self.refresh_request()))
        used = self._sign(request)
        response = yield request
        if response.status_code != 401 or not self.can_refresh():
            return  # without a way to refresh, the 401 is the caller's to map
        async with self._lock:
            if self.tokens.access_token == used:  # nobody has replaced the rejected token yet
                async with self._held():
                    await self._adopt_saved()
                    if self.tokens.access_token == used:
                        await self._accept((yield self.refresh_request()))
        self._sign(request)
        yield request


CLIENT_CREDENTIALS = "client_credentials"


class OAuth2RefreshAuth(RefreshingAuth):
    """Bearer token renewed by the OAuth 2.0 refresh-token grant (RFC 6749 §6).

    With `client_credentials` (a store whose credentials say `grant_type = "client_credentials"`,
    as a connect flow of that kind saves them), a token without a refresh token is renewed by the
    client-credentials grant (RFC 6749 §4.4): the app's id and secret buy the next one.
    """

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
        hosts: Collection[str] | None = None,
        headers: Mapping[str, str] | None = None,
        client_credentials: bool = False,
    ) -> None:
        super().__init__(
            tokens,
            clock=clock,
            header=header,
            prefix=prefix,
            leeway=leeway,
            on_refresh=on_refresh,
            hosts=hosts,
            headers=headers,
        )
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.client_credentials = client_credentials

    def can_refresh(self) -> bool:
        return bool(self.tokens.refresh_token) or (self.client_credentials and bool(self._client_secret))

    def applies_to(self, request: httpx.Request) -> bool:
        # The token endpoint itself (a code exchange sent through the store's client) gets no token.
        token = httpx.URL(self.token_url)
        if (request.url.host, request.url.path) == (token.host, token.path):
            return False
        return super().applies_to(request)

    def refresh_form(self) -> dict[str, str]:
        """The refresh request's form fields; override for a platform that wants another shape."""
        if self.client_credentials and not self.tokens.refresh_token:
            return {
                "grant_type": CLIENT_CREDENTIALS,
                "client_id": self.client_id,
                "client_secret": self._client_secret or "",
            }
        assert self.tokens.refresh_token is not None
        form = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token, "client_id": self.client_id}
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return form

    def refresh_request(self) -> httpx.Request:
        if not self.can_refresh():
            raise AuthError("the access token expired and there is no refresh token; reconnect the store")
        return httpx.Request("POST", self.token_url, data=self.refresh_form(), extensions=AUTH_META)


def uses_client_credentials(credentials: Credentials) -> bool:
    """Whether a store's token comes from the client-credentials grant (and is renewed by it)."""
    return credentials.get("grant_type") == CLIENT_CREDENTIALS


def store_token_saver(store: Store, save: Callable[[], Callable[[Credentials], Awaitable[None]] | None]) -> TokenSaver:
    """Persist rotated tokens into `store.credentials`, then through the host's saver (looked up late)."""

    async def saver(tokens: TokenSet) -> None:
        store.credentials = store.credentials.replace(**tokens.as_credentials())
        persist = save()
        if persist is not None:
            await persist(store.credentials)

    return saver
