"""The stores in the JSON API, as the CLI's `stores add|show|update|enable|disable|remove`: every
mistake named before anything is saved, credentials never in an answer."""

from __future__ import annotations

from typing import Any

from serve_fixtures import TOKEN, Served, sign_in

from fusionhub.storage.schema import plugin_instances

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CANARY = "canary-token-Vb3nR8sLq2"


def locs(answer: Any) -> set[str]:
    return {e["loc"] for e in answer.json().get("errors", [])}


async def test_a_store_is_added_shown_changed_and_removed(served: Served) -> None:
    client = served.client
    for body, field in (
        ({"name": "ebooks", "platform": "gumroad"}, "credentials"),
        ({"name": "ebooks", "platform": "gumroad", "credentials": "x"}, "credentials"),
        ({"name": "ebooks", "platform": "gumroad", "credentials": {}, "colour": "red"}, "colour"),
        ({"name": "ebooks", "platform": "nowhere", "credentials": {}}, "platform"),
        ({"name": "ebooks", "platform": "gumroad", "credentials": {}}, "credentials.access_token"),
    ):
        refused = await client.post("/api/stores", json=body, headers=AUTH)
        assert refused.status_code == 400 and any(field in loc for loc in locs(refused)), (body, refused.text)
    made = await client.post(
        "/api/stores",
        json={"name": "ebooks", "platform": "gumroad", "credentials": {"access_token": CANARY}},
        headers=AUTH,
    )
    assert made.status_code == 201 and made.json()["name"] == "ebooks" and CANARY not in made.text
    taken = await client.post(
        "/api/stores",
        json={"name": "ebooks", "platform": "gumroad", "credentials": {"access_token": "t"}},
        headers=AUTH,
    )
    assert taken.status_code == 409 and "exists" in taken.json()["message"]

    shown = await client.get("/api/stores/ebooks", headers=AUTH)
    assert shown.json()["credential_fields"] == ["access_token"] and shown.json()["jobs"] == {}
    assert CANARY not in shown.text
    await client.post("/api/jobs", json={"store": "ebooks", "capability": "list_products"}, headers=AUTH)
    assert (await client.get("/api/stores/ebooks", headers=AUTH)).json()["jobs"] == {"queued": 1}

    for body, field in (({}, "body"), ({"enabled": "no"}, "enabled"), ({"name": "other"}, "name")):
        refused = await client.patch("/api/stores/ebooks", json=body, headers=AUTH)
        assert refused.status_code == 400 and field in locs(refused), (body, refused.text)
    both = await client.patch(
        "/api/stores/ebooks", json={"config": {"colour": "red"}, "credentials": {"access_token": ""}}, headers=AUTH
    )
    assert both.status_code == 400 and len(locs(both)) == 2, both.text  # both mistakes, nothing saved
    assert (await served.runtime.stores.load("ebooks")).credentials.reveal() == {"access_token": CANARY}

    changed = await client.patch(
        "/api/stores/ebooks",
        json={"enabled": False, "credentials": {"webhook_secret": "canary-secret-Pm5x"}},
        headers=AUTH,
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False and "canary" not in changed.text
    saved = (await served.runtime.stores.load("ebooks")).credentials.reveal()
    assert saved == {"access_token": CANARY, "webhook_secret": "canary-secret-Pm5x"}

    listed = (await client.get("/api/stores", headers=AUTH)).json()
    assert [s["name"] for s in listed] == ["ebooks", "gumroad", "printify", "shopify"]
    assert all(s["problem"] is None for s in listed)

    removed = await client.delete("/api/stores/ebooks", headers=AUTH)
    assert removed.status_code == 200 and removed.json()["name"] == "ebooks"
    assert (await client.get("/api/stores/ebooks", headers=AUTH)).status_code == 404
    assert (await client.delete("/api/stores/ebooks", headers=AUTH)).status_code == 404
    assert await served.runtime.queue.list() == []  # its jobs went with it


async def test_store_changes_need_the_token(served: Served) -> None:
    assert (await served.client.delete("/api/stores/shopify")).status_code == 401
    assert (await served.client.patch("/api/stores/shopify", json={"enabled": False})).status_code == 401
    assert (await served.runtime.stores.get("shopify")).is_enabled
    wrong = await served.client.put("/api/stores/shopify", json={}, headers=AUTH)
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


async def test_a_store_its_plugin_refuses_as_saved_shows_the_problem_and_the_fix(served: Served) -> None:
    async with served.runtime.db.write() as conn:  # as if saved before the plugin tightened its config schema
        await conn.execute(
            plugin_instances.update()
            .where(plugin_instances.c.store_id == served.ids["gumroad"])
            .values(config={"colour": "red"})
        )
    listed = {s["name"]: s for s in (await served.client.get("/api/stores", headers=AUTH)).json()}
    problem = listed["gumroad"]["problem"]
    assert problem is not None and "colour" in str(problem["errors"]) and "fusionhub stores update" in problem["fix"]
    assert listed["shopify"]["problem"] is None
    await sign_in(served.client)
    page = (await served.client.get("/stores")).text
    assert page.count('<tr class="problem">') == 1 and "colour" in page
    store = (await served.client.get("/stores/gumroad")).text
    assert 'id="saved-problem"' in store and "colour" in store
