"""Each platform's connect flow through the admin, end to end against its sandbox: Etsy's OAuth
with PKCE, Amazon's seller authorization, Shopify's client-credentials grant (and its renewal by
core), Printify's and Gumroad's token forms (the token checked before saving)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx
from connect_fixtures import Connecting, connecting

from fusionhub.plugin import SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, TokenSet

__all__ = ["connecting"]


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


async def _saved(c: Connecting, done: str | None) -> str:
    assert done is not None and done.startswith("/stores/"), done
    return done.removeprefix("/stores/")


async def test_etsy_oauth_with_pkce(connecting: Connecting) -> None:
    c = connecting
    etsy = c.sandboxes["etsy"]
    fields = {"keystring": SANDBOX_CLIENT_ID, "shared_secret": SANDBOX_CLIENT_SECRET, "shop_id": "31415926"}
    started = await c.start("etsy", "oauth", fields | {"name": "my-etsy"})
    assert started.status_code == 303, started.text
    consent_url = started.headers["location"]
    query = _query(consent_url)
    assert consent_url.startswith("https://www.etsy.com/oauth/connect?")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"].split() == ["listings_r", "listings_w", "transactions_r", "transactions_w"]
    callback = await c.consent("etsy", consent_url)
    assert set(_query(callback)) == {"code", "state"}
    done = await c.client.get(callback)
    store_id = await _saved(c, done.headers.get("location"))
    store = await c.runtime.stores.load(store_id)
    assert store.name == "my-etsy" and store.config == {"shop_id": 31415926}
    assert store.credentials["refresh_token"] in etsy.refresh_tokens  # the one the exchange issued
    assert store.credentials["keystring"] == SANDBOX_CLIENT_ID
    token_calls = [r for r in etsy.requests if r.url.path == "/v3/public/oauth/token"]
    assert len(token_calls) == 1 and b"code_verifier=" in token_calls[0].content


async def test_etsy_code_without_the_verifier_is_refused_by_the_token_endpoint(connecting: Connecting) -> None:
    """The sandbox enforces PKCE: a code replayed by someone without this session's verifier fails."""
    c = connecting
    fields = {"keystring": SANDBOX_CLIENT_ID, "shared_secret": SANDBOX_CLIENT_SECRET, "shop_id": "31415926"}
    started = await c.start("etsy", "oauth", fields)
    callback = await c.consent("etsy", started.headers["location"])
    etsy = c.sandboxes["etsy"]
    code = _query(callback)["code"]
    form = {"grant_type": "authorization_code", "client_id": SANDBOX_CLIENT_ID, "code": code, "code_verifier": "x" * 43}
    async with httpx.AsyncClient(transport=etsy.transport()) as http:
        stolen = await http.post("https://api.etsy.com/v3/public/oauth/token", data=form)
    assert stolen.status_code == 400
    refused = await c.client.get(callback)  # the code was spent by the failed attempt, as on Etsy
    assert refused.status_code == 400 and "refused the code exchange" in unescape(refused.text)
    assert await c.store_names() == []


async def test_amazon_seller_authorization(connecting: Connecting) -> None:
    c = connecting
    fields = {
        "application_id": "amzn1.sp.solution.fhsbx-0c4e1f7a",
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }
    started = await c.start("amazon-sc", "authorize", fields)
    assert started.status_code == 303, started.text
    consent_url = started.headers["location"]
    assert consent_url.startswith("https://sellercentral.amazon.com/apps/authorize/consent?")
    assert set(_query(consent_url)) == {"application_id", "state", "redirect_uri"}
    callback = await c.consent("amazon-sc", consent_url)
    assert set(_query(callback)) == {"spapi_oauth_code", "state", "selling_partner_id"}
    done = await c.client.get(callback)
    store_id = await _saved(c, done.headers.get("location"))
    store = await c.runtime.stores.load(store_id)
    assert store.name == "A2SANDBOXSELLER1"
    assert store.config["seller_id"] == "A2SANDBOXSELLER1" and store.config["marketplace_ids"] == ["ATVPDKIKX0DER"]
    assert store.credentials["refresh_token"].startswith("Atzr|")
    assert store.credentials["refresh_token"] in c.sandboxes["amazon-sc"].refresh_tokens


async def test_amazon_refuses_a_foreign_seller_id_before_the_exchange(connecting: Connecting) -> None:
    c = connecting
    fields = {
        "application_id": "amzn1.sp.solution.fhsbx-0c4e1f7a",
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }
    started = await c.start("amazon-sc", "authorize", fields)
    callback = await c.consent("amazon-sc", started.headers["location"])
    forged = callback.replace("selling_partner_id=A2SANDBOXSELLER1", "selling_partner_id=..%2Fevil")
    refused = await c.client.get(forged)
    assert refused.status_code == 400 and "callback.seller_id" in unescape(refused.text)
    assert await c.store_names() == []


async def test_shopify_custom_app_client_credentials_renewed_by_core(connecting: Connecting) -> None:
    c = connecting
    shopify = c.sandboxes["shopify"]
    fields = {"shop": shopify.shop, "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
    done = await c.start("shopify", "custom-app", fields)
    assert done.status_code == 303, done.text
    store_id = await _saved(c, done.headers["location"])
    store = await c.runtime.stores.load(store_id)
    first = store.credentials["access_token"]
    assert store.credentials["grant_type"] == "client_credentials" and "refresh_token" not in store.credentials
    expires = TokenSet.from_credentials(store.credentials).expires_at
    assert expires is not None and 86_000 < expires - c.runtime.clock.now() <= 86_400
    shopify.auth.tokens[first] = c.runtime.clock.now() - 1  # the day is over: the token is refused now
    await c.runtime.stores.update_credentials(store_id, {"expires_at": repr(c.runtime.clock.now() - 1)}, merge=True)
    listed = await c.runtime.execute(store_id, "list_products", {"limit": 1})
    assert len(listed.value.items) == 1
    renewed = (await c.runtime.stores.load(store_id)).credentials
    assert renewed["access_token"] != first and renewed["access_token"] == shopify.auth.access_token
    grants = [r.content for r in shopify.requests if r.url.path == "/admin/oauth/access_token"]
    assert len(grants) == 2 and all(b"grant_type=client_credentials" in g for g in grants)


async def test_shopify_custom_app_with_a_wrong_secret_saves_nothing(connecting: Connecting) -> None:
    c = connecting
    fields = {"shop": c.sandboxes["shopify"].shop, "client_id": SANDBOX_CLIENT_ID, "client_secret": "wrong-secret-e4c1"}
    refused = await c.start("shopify", "custom-app", fields)
    alerts = re.findall(r'role="alert">(.*?)<', unescape(refused.text))  # said in the failure, if it fails
    assert refused.status_code == 400 and any("invalid_client" in alert for alert in alerts), alerts
    assert "wrong-secret-e4c1" not in refused.text
    assert await c.store_names() == []


async def test_printify_token_form_checks_the_token(connecting: Connecting) -> None:
    c = connecting
    bad = await c.start("printify", "token", {"access_token": "not-a-printify-token-77", "shop_id": "8806001"})
    assert bad.status_code == 400 and "printify refused the new credentials" in unescape(bad.text)
    assert "not-a-printify-token-77" not in bad.text and await c.store_names() == []
    missing = await c.start("printify", "token", {"access_token": SANDBOX_ACCESS_TOKEN})
    assert missing.status_code == 400 and "required: Shop ID" in unescape(missing.text)
    good = await c.start("printify", "token", {"access_token": SANDBOX_ACCESS_TOKEN, "shop_id": "8806001"})
    store_id = await _saved(c, good.headers.get("location"))
    store = await c.runtime.stores.load(store_id)
    assert store.name == "printify" and store.config == {"shop_id": "8806001"}


async def test_gumroad_token_form_checks_the_token(connecting: Connecting) -> None:
    c = connecting
    bad = await c.start("gumroad", "token", {"access_token": "not-a-gumroad-token-91"})
    assert bad.status_code == 400 and "gumroad refused the new credentials" in unescape(bad.text)
    assert await c.store_names() == []
    good = await c.start("gumroad", "token", {"access_token": SANDBOX_ACCESS_TOKEN, "name": "my-gumroad"})
    store_id = await _saved(c, good.headers.get("location"))
    assert (await c.runtime.stores.load(store_id)).credentials["access_token"] == SANDBOX_ACCESS_TOKEN
    again = await c.start("gumroad", "token", {"access_token": SANDBOX_ACCESS_TOKEN, "name": "my-gumroad"})
    assert again.status_code == 400 and "exists already" in unescape(again.text)
