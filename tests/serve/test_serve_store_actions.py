"""A store's page actions beyond enable/remove: check the connection, update credentials (never shown
back), and what the page offers per capability (unsupported ones disabled with their tooltip)."""

from __future__ import annotations

import html
import re

from serve_fixtures import TOKEN, Served, csrf_of, sign_in

from fusionhub.capabilities import Capability

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CANARY = "canary-token-Zq7vW2pX9k"  # a distinctive wrong token: it must never appear in an answer


def notice(page: str) -> str:
    found = re.search(r'<p class="notice" role="status" id="notice">(.*?)</p>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


async def test_each_capability_is_an_action_and_the_unsupported_ones_are_disabled_with_their_tooltip(
    served: Served,
) -> None:
    await sign_in(served.client)
    page = (await served.client.get("/stores/gumroad")).text
    manifest = served.runtime.hub.manifest("gumroad")
    for capability in Capability:
        contract = manifest.contract(capability)
        action = page[page.index(f'<td class="action cell" data-capability="{capability.value}">') :]
        action = action[: action.index("</td>")]
        if contract.level.value == "unsupported":
            assert 'aria-disabled="true"' in action and "<form" not in action, capability
            assert contract.explanation and html.escape(contract.explanation.rstrip(".")) in action
        else:
            assert 'action="/stores/' in action and f'value="{capability.value}"' in action, capability
            assert "aria-disabled" not in action


async def test_check_makes_one_authenticated_call_and_says_how_it_went(served: Served) -> None:
    await sign_in(served.client)
    csrf = csrf_of(await served.client.get("/stores/gumroad"))
    assert (await served.client.post("/stores/gumroad/check", data={"csrf": "forged"})).status_code == 403
    done = await served.client.post("/stores/gumroad/check", data={"csrf": csrf})
    assert done.status_code == 303
    said = notice((await served.client.get(done.headers["location"])).text)
    assert said.startswith("✓ connected") and "gumroad" in said
    (call,) = served.gumroad.requests  # one product read
    assert call.method == "GET" and call.url.path.endswith("/products")
    again = (await served.client.get("/stores/gumroad")).text
    assert 'id="notice"' not in again  # shown once

    api = await served.client.post("/api/stores/gumroad/check", headers=AUTH)
    assert api.status_code == 200 and api.json()["ok"] is True and api.json()["store"] == "gumroad"


async def test_new_credentials_are_merged_never_shown_and_a_wrong_token_fails_the_check(served: Served) -> None:
    await sign_in(served.client)
    csrf = csrf_of(await served.client.get("/stores/gumroad"))
    page = (await served.client.get("/stores/gumroad")).text
    assert 'name="credential.access_token"' in page and 'name="extra_key"' in page
    forged = await served.client.post(
        "/stores/gumroad/credentials", data={"csrf": "forged", "credential.access_token": CANARY}
    )
    assert forged.status_code == 403
    empty = await served.client.post("/stores/gumroad/credentials", data={"csrf": csrf, "credential.access_token": ""})
    assert empty.status_code == 400 and "at least one credential" in empty.text
    done = await served.client.post(
        "/stores/gumroad/credentials", data={"csrf": csrf, "credential.access_token": CANARY, "extra_key": ""}
    )
    assert done.status_code == 303
    shown = await served.client.get(done.headers["location"])
    assert notice(shown.text) == "credentials updated: access_token" and CANARY not in shown.text
    saved = (await served.runtime.stores.load("gumroad")).credentials.reveal()
    assert saved["access_token"] == CANARY and saved["webhook_secret"] == served.gumroad.credentials()["webhook_secret"]

    checked = await served.client.post("/stores/gumroad/check", data={"csrf": csrf})
    said = notice((await served.client.get(checked.headers["location"])).text)
    assert said.startswith("✗ ") and CANARY not in said, said
    api = await served.client.post("/api/stores/gumroad/check", headers=AUTH)
    assert api.json()["ok"] is False and CANARY not in api.text

    other = {"csrf": csrf, "extra_key": "webhook_secret", "extra_value": "canary-secret-Hy4dQm81"}
    assert (await served.client.post("/stores/gumroad/credentials", data=other)).status_code == 303
    assert (await served.runtime.stores.load("gumroad")).credentials.reveal() == {
        "access_token": CANARY,
        "webhook_secret": "canary-secret-Hy4dQm81",
    }


async def test_the_store_api_reads_one_store(served: Served) -> None:
    answer = await served.client.get("/api/stores/shopify", headers=AUTH)
    assert answer.status_code == 200 and answer.json()["id"] == served.ids["shopify"]
    assert "credentials" not in answer.json()
    assert (await served.client.get("/api/stores/no-such-store", headers=AUTH)).status_code == 404
    assert (await served.client.post("/api/stores/no-such-store/check", headers=AUTH)).status_code == 404
    assert (await served.client.get("/api/stores/shopify")).status_code == 401
