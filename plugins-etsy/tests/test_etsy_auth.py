"""OAuth 2.0 with PKCE (S256), state checks, refresh-token rotation persisted, and the x-api-key format."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from etsy_openapi_check import load_spec, validate

from fusionhub.credentials import Credentials
from fusionhub.errors import AuthError
from fusionhub.plugin import AuthorizationRequest, new_verifier
from fusionhub.testing.traffic import Exchange
from fusionhub_etsy import oauth
from fusionhub_etsy.plugin import fusionhub_manifest as manifest
from fusionhub_etsy.sandbox import EtsySandbox
from fusionhub_etsy.scopes import scopes_for

REDIRECT = "https://hub.example.com/oauth/etsy/callback"


def begin(
    sandbox: EtsySandbox, capabilities: list[str] | None = None, config: dict[str, Any] | None = None
) -> AuthorizationRequest:
    scopes = scopes_for(manifest(), capabilities, config)
    return oauth.begin(sandbox.keystring, REDIRECT, scopes)


def assert_token_requests_conform(sandbox: EtsySandbox) -> None:
    spec = load_spec()
    if spec is not None:
        for request in sandbox.requests:
            assert validate(spec, Exchange.of(request)) == []


def test_authorize_url_carries_state_scopes_and_an_s256_challenge(virtual_clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = EtsySandbox(virtual_clock)
    pending = begin(sandbox, ["list_products", "delete_product"])
    query = {k: v[0] for k, v in parse_qs(urlsplit(pending.url).query).items()}
    assert pending.url.startswith("https://www.etsy.com/oauth/connect?")
    assert query["response_type"] == "code" and query["client_id"] == sandbox.keystring
    assert query["redirect_uri"] == REDIRECT and query["state"] == pending.state and len(pending.state) >= 32
    assert query["scope"] == "listings_r listings_w"  # no listings_d without allow_permanent_delete
    digest = hashlib.sha256(pending.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge_method"] == "S256" and 43 <= len(pending.code_verifier) <= 128
    assert pending.state not in repr(pending) and pending.code_verifier not in repr(pending)


def test_the_full_pkce_flow_yields_working_tokens_with_the_requested_scopes(virtual_clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = EtsySandbox(virtual_clock)
    pending = begin(sandbox, ["list_orders", "update_order_status"])
    callback = sandbox.authorize(pending.url)

    async def main() -> Any:
        async with httpx.AsyncClient(transport=sandbox.transport()) as client:
            return await oauth.complete(pending, callback, client, clock=virtual_clock)

    tokens = virtual_clock.run(main())
    assert sandbox.granted_scopes(tokens.access_token) == {"transactions_r", "transactions_w"}
    assert tokens.refresh_token and tokens.expires_at == virtual_clock.now() + 3600
    assert_token_requests_conform(sandbox)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda cb: {**cb, "state": cb["state"][:-1] + ("A" if cb["state"][-1] != "A" else "B")},
        lambda cb: {k: v for k, v in cb.items() if k != "state"},
        lambda cb: {"error": "access_denied", "state": cb["state"]},
    ],
    ids=["changed-state", "missing-state", "denied"],
)
def test_a_tampered_or_denied_callback_is_rejected_before_any_exchange(virtual_clock, tamper) -> None:  # type: ignore[no-untyped-def]
    sandbox = EtsySandbox(virtual_clock)
    pending = begin(sandbox, ["list_products"])
    callback = tamper(sandbox.authorize(pending.url))

    async def main() -> None:
        async with httpx.AsyncClient(transport=sandbox.transport()) as client:
            await oauth.complete(pending, callback, client)

    with pytest.raises(AuthError):
        virtual_clock.run(main())
    assert sandbox.requests == []


def test_a_wrong_verifier_or_a_reused_code_is_refused_by_the_token_endpoint(virtual_clock) -> None:  # type: ignore[no-untyped-def]
    sandbox = EtsySandbox(virtual_clock)
    pending = begin(sandbox, ["list_products"])
    callback = sandbox.authorize(pending.url)
    forged = dataclasses.replace(pending, code_verifier=new_verifier())

    async def main() -> None:
        async with httpx.AsyncClient(transport=sandbox.transport()) as client:
            with pytest.raises(AuthError, match=r"invalid_grant|code, verifier"):
                await oauth.complete(forged, callback, client)
            fresh = sandbox.authorize(pending.url)
            await oauth.complete(pending, fresh, client)
            with pytest.raises(AuthError):
                await oauth.complete(pending, fresh, client)  # a code works once

    virtual_clock.run(main())
    assert len(sandbox.requests) == 3
    assert_token_requests_conform(sandbox)


def test_an_expired_token_is_refreshed_once_and_the_rotated_pair_persisted(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    saved: list[Credentials] = []

    async def save(credentials: Credentials) -> None:
        saved.append(credentials)

    run.ctx.save_credentials = save
    first_refresh = run.store.credentials["refresh_token"]

    async def main() -> None:
        run.sandbox.expire_tokens()
        await run.execute("list_orders", {"limit": 1})
        run.sandbox.expire_tokens()
        await run.execute("list_orders", {"limit": 1})  # the rotated refresh token must be the one used

    run.clock.run(main())
    assert run.sandbox.refreshes == 2 and len(saved) == 2
    assert saved[-1]["refresh_token"] == run.store.credentials["refresh_token"] != first_refresh
    assert saved[0]["refresh_token"] != saved[1]["refresh_token"]
    assert first_refresh not in run.sandbox.refresh_tokens  # single use: the old one is dead
    statuses = [(r.method, r.url.host) for r in run.sandbox.requests]
    assert statuses.count(("POST", "api.etsy.com")) == 2 and len(statuses) == 6


def test_every_api_request_carries_keystring_secret_and_bearer(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    run.clock.run(run.execute("list_products", {"limit": 1}))
    request = run.sandbox.requests[0]
    creds = run.sandbox.credentials()
    assert request.headers["x-api-key"] == f"{creds['keystring']}:{creds['shared_secret']}"
    assert request.headers["authorization"] == f"Bearer {creds['access_token']}"


def test_a_wrong_shared_secret_is_an_auth_error_without_the_secret_in_it(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    run.store.credentials = run.store.credentials.replace(shared_secret="not-the-right-secret-value")
    run.ctx = run.hub.connect(run.store, transport=run.wire)
    with pytest.raises(AuthError) as caught:
        run.clock.run(run.execute("list_products", {"limit": 1}))
    assert "not-the-right-secret-value" not in f"{caught.value} {caught.value!r} {caught.value.to_dict()}"
