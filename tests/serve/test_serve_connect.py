"""The admin's Connect pages end to end against the platforms' sandboxes: the consent page is
opened and approved in the sandbox, the callback comes back to the admin, the code is exchanged at
the sandbox's token endpoint and the store is saved with its credentials encrypted; forged, tampered
and foreign callbacks are refused with the reason and save nothing."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from connect_fixtures import Connecting, connecting
from serve_fixtures import sign_in

from fusionhub.plugin import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, QueryHmac
from fusionhub.storage.schema import stores as stores_table

__all__ = ["connecting"]

SHOPIFY_SIGNATURE = QueryHmac(param="hmac", unsigned=("signature",))


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _with(url: str, **changes: str) -> str:
    return url.split("?", 1)[0] + "?" + urlencode({**_query(url), **changes})


def _shopify_fields(c: Connecting) -> dict[str, str]:
    shop = c.sandboxes["shopify"].shop
    return {"shop": shop, "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}


async def _shopify_callback(c: Connecting) -> str:
    started = await c.start("shopify", "install", _shopify_fields(c))
    assert started.status_code == 303, started.text
    consent_url = started.headers["location"]
    assert consent_url.startswith(f"https://{c.sandboxes['shopify'].shop}/admin/oauth/authorize?")
    query = _query(consent_url)
    assert query["client_id"] == SANDBOX_CLIENT_ID and "read_products" in query["scope"].split(",")
    return await c.consent("shopify", consent_url)


async def test_connect_shopify_installs_the_app_and_saves_the_store_encrypted(connecting: Connecting) -> None:
    c = connecting
    index = await c.client.get("/connect")
    assert all(
        f"Connect {n}" in index.text for n in ("Shopify", "Etsy", "Amazon Seller Central", "Printify", "Gumroad")
    )
    callback = await _shopify_callback(c)
    assert set(_query(callback)) >= {"code", "hmac", "host", "shop", "state", "timestamp"}
    done = await c.client.get(callback)
    assert done.status_code == 303, done.text
    store_id = done.headers["location"].removeprefix("/stores/")
    store = await c.runtime.stores.load(store_id)
    assert store.name == "sandbox-shop" and store.config == {"shop": c.sandboxes["shopify"].shop}
    assert store.credentials["access_token"] == c.sandboxes["shopify"].auth.access_token
    assert store.credentials["refresh_token"] and store.credentials["expires_at"]  # expiring=1 was asked
    async with c.runtime.db.engine.connect() as conn:
        raw = (await conn.execute(sa.select(stores_table.c.credentials_encrypted))).scalar_one()
    assert store.credentials["access_token"] not in str(raw)
    listed = await c.runtime.execute(store_id, "list_products", {"limit": 2})
    assert len(listed.value.items) == 2


async def test_a_forged_state_is_refused_and_nothing_saved(connecting: Connecting) -> None:
    c = connecting
    callback = await _shopify_callback(c)
    query = {k: v for k, v in _query(callback).items() if k != "hmac"} | {"state": "forged-state-of-an-attacker"}
    forged = callback.split("?", 1)[0] + "?" + urlencode(SHOPIFY_SIGNATURE.sign(SANDBOX_CLIENT_SECRET, query))
    refused = await c.client.get(forged)
    assert refused.status_code == 400 and "state does not match" in unescape(refused.text)
    assert await c.store_names() == []
    again = await c.client.get(callback)  # the pending flow was used up by the refused callback
    assert again.status_code == 400 and "start again" in unescape(again.text)
    assert await c.store_names() == []


async def test_a_bad_hmac_is_refused_before_any_exchange(connecting: Connecting) -> None:
    c = connecting
    callback = await _shopify_callback(c)
    tokens_before = sum(r.url.path.endswith("/access_token") for r in c.sandboxes["shopify"].requests)
    refused = await c.client.get(_with(callback, code="0" * 32))
    assert refused.status_code == 400 and "hmac does not match" in unescape(refused.text)
    assert sum(r.url.path.endswith("/access_token") for r in c.sandboxes["shopify"].requests) == tokens_before
    assert await c.store_names() == []


@pytest.mark.parametrize("shop", ["evil.example.com", "other-shop.myshopify.com"])
async def test_a_callback_for_a_foreign_shop_is_refused(connecting: Connecting, shop: str) -> None:
    c = connecting
    callback = await _shopify_callback(c)
    query = {k: v for k, v in _query(callback).items() if k != "hmac"} | {"shop": shop}
    signed = callback.split("?", 1)[0] + "?" + urlencode(SHOPIFY_SIGNATURE.sign(SANDBOX_CLIENT_SECRET, query))
    refused = await c.client.get(signed)
    assert refused.status_code == 400 and f"shop {shop!r} is not the shop" in unescape(refused.text)
    assert not any(r.url.host == shop for r in c.sandboxes["shopify"].requests)
    assert await c.store_names() == []


async def test_a_shop_outside_myshopify_is_refused_in_the_form(connecting: Connecting) -> None:
    c = connecting
    fields = _shopify_fields(c) | {"shop": "shop.evil.example"}
    refused = await c.start("shopify", "install", fields)
    assert refused.status_code == 400 and "the shop's permanent domain" in unescape(refused.text)
    assert 'value="shop.evil.example"' in unescape(refused.text) and SANDBOX_CLIENT_SECRET not in unescape(refused.text)


async def test_denied_consent_saves_nothing(connecting: Connecting) -> None:
    c = connecting
    started = await c.start("shopify", "install", _shopify_fields(c))
    callback = await c.consent("shopify", started.headers["location"], approve=False)
    refused = await c.client.get(callback)
    assert refused.status_code == 400 and "refused" in unescape(refused.text)
    assert await c.store_names() == []


async def test_every_connect_form_needs_the_csrf_token(connecting: Connecting) -> None:
    c = connecting
    for platform, flow in [("shopify", "install"), ("shopify", "custom-app"), ("printify", "token")]:
        refused = await c.client.post(f"/connect/{platform}/{flow}", data=_shopify_fields(c) | {"csrf": "wrong"})
        assert refused.status_code == 403, (platform, flow, refused.text)
    assert await c.store_names() == []


async def test_a_callback_from_another_browser_session_is_refused(connecting: Connecting) -> None:
    c = connecting
    callback = await _shopify_callback(c)
    c.client.cookies.clear()
    await sign_in(c.client)  # signed in again: a new session, without the pending flow
    refused = await c.client.get(callback)
    assert refused.status_code == 400 and "this browser session" in unescape(refused.text)
    assert await c.store_names() == []


async def test_installing_again_on_the_same_shop_reconnects_the_store(connecting: Connecting) -> None:
    """A reinstall (or a yearly re-authorization) gives the saved store new tokens; it adds no second store."""
    c = connecting
    first = await c.client.get(await _shopify_callback(c))
    store_id = first.headers["location"].removeprefix("/stores/")
    before = (await c.runtime.stores.load(store_id)).credentials["access_token"]
    again = await c.client.get(await _shopify_callback(c))
    assert again.status_code == 303 and again.headers["location"] == f"/stores/{store_id}"
    assert await c.store_names() == ["sandbox-shop"]
    after = (await c.runtime.stores.load(store_id)).credentials
    assert after["access_token"] != before and after["access_token"] == c.sandboxes["shopify"].auth.access_token


async def test_unknown_platforms_and_flows_are_named(connecting: Connecting) -> None:
    c = connecting
    missing = await c.client.get("/connect/nowhere")
    assert missing.status_code == 404 and "no installed platform 'nowhere'" in unescape(missing.text)
    wrong = await c.start("shopify", "telepathy", {})
    assert wrong.status_code == 400 and "shopify has no connect flow 'telepathy' (install, custom-app)" in unescape(
        wrong.text
    )
    signed_out = await c.client.post("/logout", data={"csrf": "x"})
    assert signed_out.status_code == 403
