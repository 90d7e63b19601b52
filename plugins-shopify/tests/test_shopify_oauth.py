"""The OAuth install flow: authorize URL, callback verification, token exchange, expiring tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from shopify_helpers import drive, sandbox_of

from fusionhub import AuthError, Credentials, VirtualClock
from fusionhub.testing.harness import SandboxRun
from fusionhub_shopify.auth import oauth
from fusionhub_shopify.auth.token import HEADER

SECRET = "hush-app-secret"
SHOP = "cool-shop.myshopify.com"


def signed_callback(clock: VirtualClock, **overrides: str) -> dict[str, str]:
    params = {"code": "abc123", "shop": SHOP, "state": "st-1", "timestamp": f"{clock.now():.0f}", **overrides}
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["hmac"] = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return params


def verify(clock: VirtualClock, params: dict[str, str], state: str = "st-1") -> str:
    return oauth.verify_callback(params, client_secret=SECRET, expected_state=state, clock=clock)


def test_authorize_url_carries_client_scopes_redirect_and_state() -> None:
    url = oauth.authorize_url(
        SHOP,
        client_id="cid",
        scopes=["write_products", "read_orders"],
        redirect_uri="https://app.example/cb",
        state="s",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", SHOP, "/admin/oauth/authorize")
    assert parse_qs(parts.query) == {
        "client_id": ["cid"],
        "scope": ["read_orders,write_products"],
        "redirect_uri": ["https://app.example/cb"],
        "state": ["s"],
    }
    with pytest.raises(AuthError):
        oauth.authorize_url("evil.example.com", client_id="c", scopes=[], redirect_uri="https://x", state="s")


def test_states_are_unguessable() -> None:
    assert len({oauth.new_state() for _ in range(100)}) == 100


def test_genuine_callback_is_accepted(virtual_clock: VirtualClock) -> None:
    assert verify(virtual_clock, signed_callback(virtual_clock)) == SHOP


def test_tampered_callback_is_refused(virtual_clock: VirtualClock) -> None:
    params = signed_callback(virtual_clock)
    params["shop"] = "attacker.myshopify.com"
    with pytest.raises(AuthError, match="hmac"):
        verify(virtual_clock, params)


def test_forged_callback_is_refused(virtual_clock: VirtualClock) -> None:
    params = signed_callback(virtual_clock)
    params["hmac"] = hmac.new(b"guessed", b"x", hashlib.sha256).hexdigest()
    with pytest.raises(AuthError, match="hmac"):
        verify(virtual_clock, params)
    del params["hmac"]
    with pytest.raises(AuthError):
        verify(virtual_clock, params)


def test_callback_for_another_session_is_refused(virtual_clock: VirtualClock) -> None:
    with pytest.raises(AuthError, match="state"):
        verify(virtual_clock, signed_callback(virtual_clock), state="st-other")


def test_replayed_callback_older_than_a_day_is_refused(virtual_clock: VirtualClock) -> None:
    params = signed_callback(virtual_clock)
    virtual_clock.advance(86_400 - 1)
    assert verify(virtual_clock, params) == SHOP
    virtual_clock.advance(2)
    with pytest.raises(AuthError, match="replayed"):
        verify(virtual_clock, params)


def test_callback_from_the_future_is_refused(virtual_clock: VirtualClock) -> None:
    params = signed_callback(virtual_clock, timestamp=f"{virtual_clock.now() + 3600:.0f}")
    with pytest.raises(AuthError):
        verify(virtual_clock, params)


def test_signed_callback_with_a_bad_shop_domain_is_refused(virtual_clock: VirtualClock) -> None:
    with pytest.raises(AuthError, match="myshopify"):
        verify(virtual_clock, signed_callback(virtual_clock, shop="cool-shop.myshopify.com.evil.io"))


@respx.mock
def test_code_exchange_requests_expiring_tokens(virtual_clock: VirtualClock) -> None:
    route = respx.post(f"https://{SHOP}/admin/oauth/access_token").respond(
        200,
        json={
            "access_token": "shpat_x",
            "scope": "read_products",
            "expires_in": 3600,
            "refresh_token": "shprt_y",
            "refresh_token_expires_in": 7_776_000,
        },
    )

    async def main() -> oauth.TokenSet:
        async with httpx.AsyncClient() as client:
            return await oauth.exchange_code(
                client, SHOP, client_id="cid", client_secret=SECRET, code="abc", clock=virtual_clock
            )

    tokens = virtual_clock.run(main())
    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent == {"client_id": ["cid"], "client_secret": [SECRET], "code": ["abc"], "expiring": ["1"]}
    assert tokens.access_token == "shpat_x" and tokens.refresh_token == "shprt_y"
    assert tokens.expires_at == virtual_clock.now() + 3600
    assert "shpat_x" not in repr(tokens) and "shprt_y" not in repr(tokens)


@respx.mock
def test_refused_exchange_is_an_auth_error(virtual_clock: VirtualClock) -> None:
    respx.post(f"https://{SHOP}/admin/oauth/access_token").respond(400, json={"error": "invalid_request"})

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            await oauth.exchange_code(
                client, SHOP, client_id="c", client_secret=SECRET, code="used", clock=virtual_clock
            )

    with pytest.raises(AuthError):
        virtual_clock.run(main())


def test_install_against_the_sandbox_issues_a_working_token(shop: object) -> None:
    run: SandboxRun = shop(expiring_tokens=True)  # type: ignore[operator]
    sandbox = sandbox_of(run)
    code = sandbox.auth.new_code()

    async def body(run: SandboxRun) -> oauth.TokenSet:
        tokens = await oauth.exchange_code(
            run.ctx.http,
            sandbox.shop,
            client_id=sandbox.auth.client_id,
            client_secret=sandbox.auth.client_secret,
            code=code,
            clock=run.clock,
        )
        with pytest.raises(AuthError):  # a code works once
            await oauth.exchange_code(
                run.ctx.http,
                sandbox.shop,
                client_id=sandbox.auth.client_id,
                client_secret=sandbox.auth.client_secret,
                code=code,
                clock=run.clock,
            )
        return tokens

    tokens = drive(run, body)
    assert sandbox.auth.accepts(tokens.access_token) and tokens.refresh_token


def test_expiring_token_is_refreshed_before_it_lapses_and_persisted(shop: object) -> None:
    run: SandboxRun = shop(expiring_tokens=True)  # type: ignore[operator]
    sandbox = sandbox_of(run)
    saved: list[Credentials] = []

    async def save(credentials: Credentials) -> None:
        saved.append(credentials)

    run.ctx.save_credentials = save
    first = run.store.credentials["access_token"]

    async def body(run: SandboxRun) -> None:
        await run.execute("get_product", sandbox.sample_params("get_product"))  # type: ignore[arg-type]
        assert not saved
        run.clock.advance(3600 - 60)  # within the refresh margin
        await run.execute("get_product", sandbox.sample_params("get_product"))  # type: ignore[arg-type]

    drive(run, body)
    assert len(saved) == 1
    rotated = saved[0]["access_token"]
    assert rotated != first and run.store.credentials["access_token"] == rotated
    assert not sandbox.auth.accepts(first) and sandbox.auth.accepts(rotated)
    token_calls = [r for r in sandbox.requests if r.url.path == "/admin/oauth/access_token"]
    assert len(token_calls) == 1 and HEADER.lower() not in {k.lower() for k in token_calls[0].headers}
    graphql_calls = [r for r in sandbox.requests if r.url.path.endswith("graphql.json")]
    assert graphql_calls[-1].headers[HEADER] == rotated
    assert json.loads(graphql_calls[-1].content)["operationName"] == "Product"
