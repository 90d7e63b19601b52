"""Connecting a seller: the consent URL, the callback's state, the spapi_oauth_code exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError
from fusionhub_amazon import oauth
from fusionhub_amazon.sandbox import APPLICATION_ID, AmazonSandbox

REDIRECT = "https://hub.example/amazon/callback"


def connect(sandbox: AmazonSandbox, pending: object, callback: dict[str, str], **kwargs: object) -> oauth.Connection:
    async def main() -> oauth.Connection:
        async with httpx.AsyncClient(transport=sandbox.transport()) as client:
            return await oauth.complete(
                pending,  # type: ignore[arg-type]
                callback,
                client,
                client_secret=sandbox.apps[sandbox.credentials()["client_id"]],
                clock=sandbox.clock,
                **kwargs,  # type: ignore[arg-type]
            )

    clock = sandbox.clock
    assert isinstance(clock, VirtualClock)
    return clock.run(main())


def test_the_consent_url_is_the_marketplaces_seller_central() -> None:
    pending = oauth.begin(
        APPLICATION_ID, "client-1", marketplace_id="A1PA6795UKMFR9", redirect_uri=REDIRECT, draft=True
    )
    url = urlsplit(pending.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.netloc, url.path) == ("sellercentral-europe.amazon.com", "/apps/authorize/consent")
    assert query == {
        "application_id": APPLICATION_ID,
        "state": pending.state,
        "redirect_uri": REDIRECT,
        "version": "beta",
    }
    assert len(pending.state) >= 32 and pending.state not in repr(pending)


def test_a_consent_completes_with_the_sellers_tokens() -> None:
    sandbox = AmazonSandbox(VirtualClock())
    pending = oauth.begin(APPLICATION_ID, sandbox.credentials()["client_id"], redirect_uri=REDIRECT)
    callback = sandbox.authorize(pending.url)
    connection = connect(sandbox, pending, callback, expected_seller=sandbox.world.seller_id)
    assert connection.selling_partner_id == sandbox.world.seller_id
    assert connection.tokens.refresh_token and connection.tokens.refresh_token.startswith("Atzr|")
    assert connection.tokens.expires_at == pytest.approx(sandbox.clock.now() + 3600)
    exchange = sandbox.requests[-1]
    form = {k: v[0] for k, v in parse_qs(exchange.content.decode()).items()}
    assert form["grant_type"] == "authorization_code" and form["code"] == callback["spapi_oauth_code"]
    assert form["redirect_uri"] == REDIRECT and "x-amz-access-token" not in exchange.headers


def test_a_forged_state_is_refused_before_any_exchange() -> None:
    sandbox = AmazonSandbox(VirtualClock())
    pending = oauth.begin(APPLICATION_ID, "client-1")
    callback = {**sandbox.authorize(pending.url), "state": "forged-state"}
    with pytest.raises(AuthError, match="state"):
        connect(sandbox, pending, callback)
    assert len(sandbox.requests) == 0


def test_another_seller_or_a_used_code_is_refused() -> None:
    sandbox = AmazonSandbox(VirtualClock())
    pending = oauth.begin(APPLICATION_ID, sandbox.credentials()["client_id"])
    callback = sandbox.authorize(pending.url, selling_partner_id="A9OTHERSELLER")
    with pytest.raises(AuthError, match="not this store's seller"):
        connect(sandbox, pending, callback, expected_seller=sandbox.world.seller_id)
    connect(sandbox, pending, callback)
    with pytest.raises(AuthError, match="invalid or expired"):
        connect(sandbox, pending, callback)  # a code works once
