"""The capability matrix page and the JSON API: every platform × the 15 capabilities, the
unsupported ones disabled with the plugin's explanation and workaround as their tooltip."""

from __future__ import annotations

import html
import re

from serve_fixtures import TOKEN, Served

from fusionhub.capabilities import Capability
from fusionhub.contracts import Level

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CELL = re.compile(r'<td class="cell [a-z]+" data-platform="([a-z]+)" data-capability="([a-z_]+)"[^>]*>(.*?)</td>', re.S)


async def test_every_unsupported_cell_is_a_disabled_control_with_the_plugins_explanation(served: Served) -> None:
    page = await served.client.get("/matrix", headers=AUTH)
    assert page.status_code == 200
    cells = {(m[0], m[1]): html.unescape(m[2]) for m in CELL.findall(page.text)}
    registry = served.runtime.hub.registry
    assert len(cells) == len(registry.platforms) * len(Capability) == 3 * 15
    unsupported = 0
    for (slug, capability), body in cells.items():
        contract = registry.platform(slug).manifest.contract(Capability(capability))  # type: ignore[union-attr]
        if contract.level is Level.UNSUPPORTED:
            unsupported += 1
            assert 'aria-disabled="true"' in body, (slug, capability)
            tip = f"tip-{slug}-{capability}"
            assert f'aria-describedby="{tip}"' in body and f'id="{tip}"' in body
            assert contract.explanation and contract.explanation.rstrip(".") in body
            if contract.manual_workaround:
                assert contract.manual_workaround in body
        else:
            assert "aria-disabled" not in body
        if contract.level is Level.WORKAROUND and contract.workaround:
            assert contract.workaround.description in body
            if contract.workaround.estimated_time_ms:
                assert "about " in body
    assert unsupported > 0  # the test would prove nothing on platforms that do everything


async def test_the_api_lists_stores_capabilities_plugins_and_jobs(served: Served) -> None:
    stores = (await served.client.get("/api/stores", headers=AUTH)).json()
    assert sorted(s["name"] for s in stores) == ["gumroad", "printify", "shopify"]
    assert all("credentials" not in s for s in stores)
    capabilities = (await served.client.get("/api/capabilities", headers=AUTH)).json()
    assert set(capabilities) == {c.value for c in Capability}
    assert set(capabilities["process_refund"]) == {"shopify", "printify", "gumroad"}
    plugins = (await served.client.get("/api/plugins", headers=AUTH)).json()
    assert {p["slug"] for p in plugins if p["status"] == "loaded"} == {"shopify", "printify", "gumroad"}
    assert (await served.client.get("/api/jobs", headers=AUTH)).json() == []
    job = await served.runtime.enqueue(served.ids["shopify"], "list_products", {})
    listed = (await served.client.get("/api/jobs", params={"store": "shopify"}, headers=AUTH)).json()
    assert [j["id"] for j in listed] == [job.id]


async def test_the_jobs_api_says_which_parameter_is_wrong(served: Served) -> None:
    for query, field in (({"status": "nope"}, "status"), ({"limit": "0"}, "limit"), ({"limit": "x"}, "limit")):
        response = await served.client.get("/api/jobs", params=query, headers=AUTH)
        assert response.status_code == 400 and response.json()["errors"][0]["loc"] == field
    missing = await served.client.get("/api/jobs", params={"store": "no-such-store"}, headers=AUTH)
    assert missing.status_code == 404 and "no-such-store" in missing.json()["message"]
