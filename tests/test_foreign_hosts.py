"""The installed platform plugins, as an attacker would try them: no store config points a plugin at
another host, and the store's credentials never reach one, redirects included (issue 12, item 6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.errors import ValidationError
from fusionhub.http.hosts import ForeignHostRefused
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store

pytest.importorskip("fusionhub_etsy")
pytest.importorskip("fusionhub_shopify")

ETSY_API = "https://openapi.etsy.com/v3/application"
ETSY = {"keystring": "ks-foreign-1", "shared_secret": "ss-foreign-2", "access_token": "77.tok-foreign-3"}
ETSY_CREDS = {**ETSY, "refresh_token": "77.refresh-foreign-4"}
SHOPIFY_CREDS = {"access_token": "shpat_foreign_5", "client_secret": "shpss_foreign_6"}


def hub() -> Hub:
    return Hub(Registry.discover(allow={"etsy", "shopify"}), clock=VirtualClock())


@pytest.mark.parametrize(
    ("platform", "config", "field"),
    [
        ("etsy", {"shop_id": 1, "base_url": "https://evil.example/v3/application/"}, "config.base_url"),
        ("etsy", {"shop_id": "abc"}, "config.shop_id"),
        ("shopify", {"shop": "evil.com"}, "config.shop"),
        ("shopify", {"shop": "x.myshopify.com.evil.example"}, "config.shop"),
        ("shopify", {"shop": "x.myshopify.com", "admin_url": "https://evil.example"}, "config.admin_url"),
    ],
)
def test_no_config_key_points_a_plugin_elsewhere(platform: str, config: dict[str, Any], field: str) -> None:
    creds = ETSY_CREDS if platform == "etsy" else SHOPIFY_CREDS
    with pytest.raises(ValidationError) as caught:
        hub().connect(Store(platform, credentials=creds, config=config))
    assert field in [e["loc"] for e in caught.value.errors]


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_etsy_credentials_do_not_follow_a_redirect_to_another_host(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{ETSY_API}/shops/1/listings").respond(302, headers={"location": "https://evil.example/x"})
    evil = respx_mock.route(host="evil.example").respond(200, json={})
    h = hub()
    ctx = h.connect(Store("etsy", credentials=ETSY_CREDS, config={"shop_id": 1}))

    async def main() -> None:
        try:
            await ctx.http.get(f"{ETSY_API}/shops/1/listings", follow_redirects=True)
        finally:
            await h.aclose()

    with pytest.raises(ForeignHostRefused, match=r"evil\.example"):
        h.clock.run(main())  # type: ignore[attr-defined]
    assert not evil.called


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_shopify_token_stays_on_the_shop(respx_mock: respx.MockRouter) -> None:
    evil = respx_mock.route(host="evil.example").respond(200, json={})
    h = hub()
    ctx = h.connect(Store("shopify", credentials=SHOPIFY_CREDS, config={"shop": "x.myshopify.com"}))

    async def main() -> httpx.Response:
        try:
            # Shopify's auth keeps its header to the shop; nothing else on the request is a credential.
            return await ctx.http.get("https://evil.example/upload")
        finally:
            await h.aclose()

    response = h.clock.run(main())  # type: ignore[attr-defined]
    assert response.status_code == 200
    sent = evil.calls.last.request
    assert not {k.lower() for k in sent.headers} & {"x-shopify-access-token", "authorization"}
    assert all(v not in str(sent.headers) + str(sent.url) for v in SHOPIFY_CREDS.values())
