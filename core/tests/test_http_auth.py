"""Auth flows: API key, Basic, bearer refresh (before expiry, after 401, serialized, rotation persisted)."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import httpx
import pytest
from fake_platform import SLUG, FakeServer, make_hub

from fusionhub import Store, hookimpl
from fusionhub.clock import VirtualClock
from fusionhub.credentials import Credentials
from fusionhub.errors import AuthError
from fusionhub.http import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    HttpConfig,
    OAuth2RefreshAuth,
    TokenSet,
    build_client,
)
from fusionhub.observability.redaction import REDACTED, scrub
from fusionhub.ratelimit import Limiter, MemoryBucketStore

TOKEN_URL = "https://auth.test/token"


class TokenServer:
    """A token endpoint that rotates refresh tokens, and an API that checks the access token."""

    def __init__(self, clock: VirtualClock, *, lifetime: float = 3600, fail: bool = False) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.fail = fail
        self.generation = 0
        self.valid_access = "access-0-aaaaaa"
        self.valid_refresh = "refresh-0-bbbbbb"
        self.forms: list[dict[str, str]] = []
        self.api_calls = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.forms.append(form)
            if self.fail or form.get("refresh_token", self.valid_refresh) != self.valid_refresh:
                return httpx.Response(400, json={"error": "invalid_grant", "echo": form.get("refresh_token")})
            self.generation += 1
            self.valid_access = f"access-{self.generation}-aaaaaa"
            self.valid_refresh = f"refresh-{self.generation}-bbbbbb"
            body = {"access_token": self.valid_access, "expires_in": self.lifetime}
            if "refresh_token" in form:
                body["refresh_token"] = self.valid_refresh
            return httpx.Response(200, json=body)
        self.api_calls += 1
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return httpx.Response(200 if token == self.valid_access else 401, json={})


def _client(clock: VirtualClock, auth: httpx.Auth, server: TokenServer) -> httpx.AsyncClient:
    limiter = Limiter("store:auth", None, MemoryBucketStore(), clock)
    return build_client(
        HttpConfig(base_url="https://api.test/", auth=auth), limiter, httpx.MockTransport(server.handle)
    )


def test_api_key_in_header_or_query(virtual_clock: VirtualClock) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async def main() -> None:
        limiter = Limiter("store:k", None, MemoryBucketStore(), virtual_clock)
        for auth in (
            ApiKeyAuth("key:shared-secret"),
            ApiKeyAuth("tok-123456", header=None, query_param="access_token"),
        ):
            config = HttpConfig(base_url="https://api.test/", auth=auth)
            async with build_client(config, limiter, httpx.MockTransport(handle)) as client:
                await client.get("x", params={"a": "1"})

    virtual_clock.run(main())
    assert seen[0].headers["x-api-key"] == "key:shared-secret"
    assert seen[1].url.params["access_token"] == "tok-123456" and seen[1].url.params["a"] == "1"
    assert "x-api-key" not in seen[1].headers
    with pytest.raises(ValueError, match="exactly one place"):
        ApiKeyAuth("k", header="x", query_param="y")
    assert "tok-123456" not in repr(ApiKeyAuth("tok-123456"))


def test_static_bearer(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock)

    async def main() -> int:
        async with _client(virtual_clock, BearerAuth(server.valid_access), server) as client:
            return (await client.get("x")).status_code

    assert virtual_clock.run(main()) == 200


def test_refresh_before_expiry_rotates_and_persists(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock, lifetime=3600)
    saved: list[TokenSet] = []

    async def save(tokens: TokenSet) -> None:
        saved.append(tokens)

    auth = OAuth2RefreshAuth(
        TokenSet(server.valid_access, server.valid_refresh, expires_at=virtual_clock.now() + 100),
        token_url=TOKEN_URL,
        client_id="app",
        client_secret="client-secret-xyz",
        clock=virtual_clock,
        on_refresh=save,
    )

    async def main() -> list[int]:
        async with _client(virtual_clock, auth, server) as client:
            statuses = [(await client.get("x")).status_code]
            await virtual_clock.sleep(50)  # inside the 60 s leeway: refresh first
            statuses.append((await client.get("x")).status_code)
            await virtual_clock.sleep(3000)  # the new token is still good
            statuses.append((await client.get("x")).status_code)
            return statuses

    assert virtual_clock.run(main()) == [200, 200, 200]
    assert server.generation == 1 and auth.refreshes == 1
    assert server.forms[0] == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-0-bbbbbb",
        "client_id": "app",
        "client_secret": "client-secret-xyz",
    }
    assert [t.refresh_token for t in saved] == ["refresh-1-bbbbbb"]  # the rotated token reached the saver
    assert saved[0].expires_at == pytest.approx(virtual_clock.now() - 3000 + 3600)


def test_concurrent_401s_refresh_once(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock)
    stale = TokenSet("access-stale-aaaaaa", server.valid_refresh, expires_at=None)
    auth = OAuth2RefreshAuth(stale, token_url=TOKEN_URL, client_id="app", clock=virtual_clock)

    async def main() -> list[int]:
        async with _client(virtual_clock, auth, server) as client:
            responses = await asyncio.gather(*(client.get("x") for _ in range(10)))
            return [r.status_code for r in responses]

    assert virtual_clock.run(main()) == [200] * 10
    assert len(server.forms) == 1  # one refresh for ten rejected requests
    assert auth.tokens.refresh_token == "refresh-1-bbbbbb"


def test_failed_refresh_is_an_auth_error_without_secrets(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock, fail=True)
    auth = OAuth2RefreshAuth(
        TokenSet("", "refresh-secret-zzzzzz"), token_url=TOKEN_URL, client_id="app", clock=virtual_clock
    )

    async def main() -> None:
        async with _client(virtual_clock, auth, server) as client:
            await client.get("x")

    with pytest.raises(AuthError) as info:
        virtual_clock.run(main())
    assert "refresh-secret-zzzzzz" not in f"{info.value} {info.value!r} {info.value.to_dict()}"
    assert "HTTP 400" in str(info.value)


def test_basic_auth_sends_user_and_password_and_hides_them(virtual_clock: VirtualClock) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    auth = BasicAuth("shop-key", "basic-password-123")

    async def main() -> None:
        limiter = Limiter("store:basic", None, MemoryBucketStore(), virtual_clock)
        async with build_client(
            HttpConfig(base_url="https://api.test/", auth=auth), limiter, httpx.MockTransport(handle)
        ) as client:
            await client.get("x")

    virtual_clock.run(main())
    scheme, _, encoded = seen[0].headers["authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(encoded).decode() == "shop-key:basic-password-123"
    assert "basic-password-123" not in repr(auth) and encoded not in repr(auth) and "shop-key" in repr(auth)
    assert scrub(f"sent {encoded} and basic-password-123") == f"sent {REDACTED} and {REDACTED}"
    with pytest.raises(ValueError, match="':'"):
        BasicAuth("a:b", "c")


def test_refreshing_auth_extension_points(virtual_clock: VirtualClock) -> None:
    """A custom header without prefix, only the API host sees it, a secret header beside it, another form."""
    server = TokenServer(virtual_clock)
    sent: list[httpx.Request] = []

    class FormAuth(OAuth2RefreshAuth):
        def refresh_form(self) -> dict[str, str]:
            return {**super().refresh_form(), "audience": "api"}

    auth = FormAuth(
        TokenSet(server.valid_access, server.valid_refresh, expires_at=virtual_clock.now() + 30),
        token_url=TOKEN_URL,
        client_id="app",
        clock=virtual_clock,
        header="X-Access-Token",
        prefix="",
        hosts={"api.test"},
        headers={"x-api-key": "key-secret-987"},
    )

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.host == "api.test":
            ok = request.headers.get("x-access-token") == server.valid_access
            return httpx.Response(200 if ok else 401, json={})
        return server.handle(request) if request.url == TOKEN_URL else httpx.Response(200)

    async def main() -> list[int]:
        limiter = Limiter("store:ext", None, MemoryBucketStore(), virtual_clock)
        config = HttpConfig(base_url="https://api.test/", auth=auth)
        async with build_client(config, limiter, httpx.MockTransport(handle)) as client:
            return [(await client.get(url)).status_code for url in ("x", "https://files.test/upload")]

    assert virtual_clock.run(main()) == [200, 200]
    token_call, api_call, foreign_call = sent
    assert token_call.url == TOKEN_URL and parse_qs(token_call.content.decode())["audience"] == ["api"]
    assert "x-access-token" not in token_call.headers
    assert api_call.headers["x-access-token"] == server.valid_access == "access-1-aaaaaa"
    assert api_call.headers["x-api-key"] == "key-secret-987" and "authorization" not in api_call.headers
    assert "x-access-token" not in foreign_call.headers and "x-api-key" not in foreign_call.headers


def test_without_a_refresh_token_a_401_is_left_to_the_plugin(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock)
    auth = OAuth2RefreshAuth(TokenSet("access-wrong-aaaaaa"), token_url=TOKEN_URL, client_id="app", clock=virtual_clock)
    expired = OAuth2RefreshAuth(
        TokenSet(server.valid_access, expires_at=virtual_clock.now() - 1),
        token_url=TOKEN_URL,
        client_id="app",
        clock=virtual_clock,
    )

    async def main() -> int:
        async with _client(virtual_clock, auth, server) as client:
            return (await client.get("x")).status_code

    async def lapsed() -> None:
        async with _client(virtual_clock, expired, server) as client:
            await client.get("x")

    assert virtual_clock.run(main()) == 401 and server.forms == []
    with pytest.raises(AuthError, match="cannot be refreshed"):
        virtual_clock.run(lapsed())
    assert server.api_calls == 1  # the lapsed token was never sent


def test_token_set_round_trips_through_credentials(virtual_clock: VirtualClock) -> None:
    body = {"access_token": "tok-a-123456", "refresh_token": "tok-r-123456", "expires_in": 60, "scope": "read"}
    tokens = TokenSet.from_response(body, 1000.0)
    assert tokens.expires_at == 1060.0 and tokens.scope == "read"
    creds = Credentials({"access_token": "x", "client_id": "c"}).replace(**tokens.as_credentials())
    assert TokenSet.from_credentials(creds) == tokens and creds["client_id"] == "c"
    with pytest.raises(AuthError, match="no access token"):
        TokenSet.from_response({"error": "invalid_grant"}, 0.0)


class RefreshingPlugin:
    """The fake platform, but with an expiring bearer token built from the store's credentials."""

    def __init__(self, clock: VirtualClock, tokens: TokenServer) -> None:
        self.clock = clock
        self.tokens = tokens

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        creds = store.credentials
        auth = OAuth2RefreshAuth(
            TokenSet(creds["access_token"], creds["refresh_token"], expires_at=0.0),
            token_url=TOKEN_URL,
            client_id="app",
            clock=self.clock,
        )
        return HttpConfig(base_url="https://api.test/", auth=auth)


def test_hub_persists_rotated_tokens_through_save_credentials(virtual_clock: VirtualClock) -> None:
    tokens = TokenServer(virtual_clock)
    hub = make_hub(virtual_clock, FakeServer(virtual_clock, api_key="unused-key"))
    record = hub.registry.platform(SLUG)
    record.impls["fusionhub_http_config"] = RefreshingPlugin(virtual_clock, tokens).fusionhub_http_config
    persisted: list[Credentials] = []

    async def save(credentials: Credentials) -> None:
        persisted.append(credentials)

    store = Store(platform=SLUG, credentials={"access_token": "old-access-1", "refresh_token": tokens.valid_refresh})
    ctx = hub.connect(store, transport=httpx.MockTransport(tokens.handle), save_credentials=save)

    async def main() -> int:
        return (await ctx.http.get("x")).status_code

    assert virtual_clock.run(main()) == 200
    assert persisted[-1]["refresh_token"] == "refresh-1-bbbbbb"
    assert store.credentials["access_token"] == "access-1-aaaaaa"
    assert "access-1-aaaaaa" not in repr(persisted[-1])
