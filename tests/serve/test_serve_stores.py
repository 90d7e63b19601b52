"""A store's page: its capabilities (unsupported ones disabled with their tooltip) and its actions,
each a form that changes nothing without the session's CSRF token."""

from __future__ import annotations

from serve_fixtures import TOKEN, Served, csrf_of, sign_in

from fusionhub.capabilities import Capability

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_a_stores_page_lists_every_capability_with_the_unsupported_disabled(served: Served) -> None:
    await sign_in(served.client)
    listing = await served.client.get("/stores")
    assert f'href="/stores/{served.ids["gumroad"]}"' in listing.text
    page = await served.client.get("/stores/gumroad")
    assert page.status_code == 200
    assert page.text.count('<td class="cell') == len(Capability)
    assert 'data-capability="sync_inventory" data-level="unsupported"' in page.text
    assert 'aria-describedby="tip-gumroad-sync_inventory"' in page.text
    assert (await served.client.get("/stores/no-such-store")).status_code == 404


async def test_enable_disable_needs_the_csrf_token(served: Served) -> None:
    await sign_in(served.client)
    page = await served.client.get("/stores/shopify")
    refused = await served.client.post("/stores/shopify/enabled", data={"enabled": "off", "csrf": "forged"})
    assert refused.status_code == 403
    assert (await served.runtime.stores.get("shopify")).is_enabled
    done = await served.client.post("/stores/shopify/enabled", data={"enabled": "off", "csrf": csrf_of(page)})
    assert done.status_code == 303 and done.headers["location"] == f"/stores/{served.ids['shopify']}"
    assert not (await served.runtime.stores.get("shopify")).is_enabled
    bad = await served.client.post("/stores/shopify/enabled", data={"enabled": "maybe", "csrf": csrf_of(page)})
    assert bad.status_code == 400 and "enabled" in bad.text


async def test_the_automation_switch_is_the_platforms_and_shows_in_the_matrix(served: Served) -> None:
    await sign_in(served.client)
    csrf = csrf_of(await served.client.get("/stores/shopify"))
    form = {"capability": "bulk_update", "enabled": "off", "csrf": csrf}
    assert (await served.client.post("/stores/shopify/automation", data=form)).status_code == 303
    assert not served.runtime.hub.automation_enabled("shopify", Capability.BULK_UPDATE)
    matrix = (await served.client.get("/matrix")).text
    cell = matrix[matrix.index('data-platform="shopify" data-capability="bulk_update"') :]
    assert "(manual only)" in cell[: cell.index("</td>")]
    unsupported = {"capability": "sync_inventory", "enabled": "off", "csrf": csrf}
    refused = await served.client.post("/stores/gumroad/automation", data=unsupported)
    assert refused.status_code == 400 and "nothing to automate" in refused.text
    unknown = await served.client.post("/stores/shopify/automation", data={**form, "capability": "launch_rocket"})
    assert unknown.status_code == 400 and "capability" in unknown.text


async def test_scripts_post_with_the_bearer_token_and_strangers_cannot(served: Served) -> None:
    stranger = await served.client.post("/stores/printify/remove", data={})
    assert stranger.status_code == 401
    assert (await served.runtime.stores.get("printify")).name == "printify"
    done = await served.client.post("/stores/printify/remove", headers=AUTH)
    assert done.status_code == 303 and done.headers["location"] == "/stores"
    names = [s["name"] for s in (await served.client.get("/api/stores", headers=AUTH)).json()]
    assert names == ["gumroad", "shopify"]
    gone = await served.client.post("/stores/printify/remove", headers=AUTH)
    assert gone.status_code == 404
