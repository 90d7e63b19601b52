"""The admin in Debian's Chromium (Playwright) over the app served by uvicorn with a worker: a bulk
run from a store's page whose per-item counts move on the job page without a reload; forms refused
without the session's CSRF token; the store page's disabled actions with their tooltips.

Each test leaves screenshots of the pages it visits in its tmp_path; with
FUSIONHUB_SCREENSHOTS=DIR they go to DIR instead (docs/screenshots is made that way:
`FUSIONHUB_SCREENSHOTS=docs/screenshots pytest tests/serve/test_serve_browser_pages.py`).
Like test_serve_browser.py, it skips locally without playwright or Chromium and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import Live, live_server
from serve_fixtures import TOKEN
from test_serve_browser import CHROMIUM, _playwright

pytestmark = pytest.mark.browser
BULK_ITEMS = 8  # Gumroad's budget is one call a second: the bulk takes about 8 s, long enough to watch


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("FUSIONHUB_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path, worker=True) as served:
        yield served


@pytest.fixture
def page(live: Live, tmp_path: Path) -> Iterator[Any]:
    """A signed-in page in headless Chromium."""
    sync_playwright = _playwright()
    from playwright.sync_api import expect

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(f"{live.url}/stores")
            tab.fill("input[name=token]", TOKEN)
            tab.screenshot(path=str(shots(tmp_path) / "login.png"))
            tab.click("button[type=submit]")
            expect(tab).to_have_url(f"{live.url}/stores")
            yield tab
        finally:
            browser.close()


def test_a_bulk_jobs_progress_moves_on_its_page(live: Live, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    assert live.made is not None
    out = shots(tmp_path)
    page.screenshot(path=str(out / "stores.png"), full_page=True)
    page.click("text=gumroad")
    products = list(live.made.gumroad.world.products)[:BULK_ITEMS]
    items = [{"product_id": p, "changes": {"tags": ["ebook", "sale"]}} for p in products]
    row = page.locator('td.action[data-capability="bulk_update"]')
    row.locator("summary").click()
    row.locator("textarea[name=params]").fill(json.dumps({"items": items}))
    row.get_by_role("button", name="Run bulk_update").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))  # the new job's page

    seen: list[int] = []  # the succeeded count as the page shows it, sampled while the worker runs
    deadline = time.monotonic() + 60
    shot_taken = False
    while time.monotonic() < deadline:
        status = page.locator("#job-status").inner_text()
        if status == "succeeded":
            break
        done = page.locator("#items-succeeded").inner_text()
        if done.isdigit() and (not seen or int(done) != seen[-1]):
            seen.append(int(done))
            if not shot_taken and 2 <= int(done) < BULK_ITEMS - 1:
                page.screenshot(path=str(out / "job.png"), full_page=True)
                shot_taken = True
        time.sleep(0.2)
    expect(page.locator("#job-status")).to_have_text("succeeded")
    expect(page.locator("#items-succeeded")).to_have_text(str(BULK_ITEMS))
    in_between = [n for n in seen if 0 < n < BULK_ITEMS]
    assert len(in_between) >= 3 and in_between == sorted(in_between), seen  # it moved, step by step
    assert shot_taken
    expect(page.locator("#job-result")).to_be_visible()

    auth = {"Authorization": f"Bearer {TOKEN}"}
    for capability, params in (("list_products", {"limit": 5}), ("get_product", {"product_id": "no-such-product"})):
        body = {"store": "gumroad", "capability": capability, "params": params}
        assert httpx.post(f"{live.url}/api/jobs", json=body, headers=auth).status_code == 201
    deadline = time.monotonic() + 30
    while any(j["finished_at"] is None for j in httpx.get(f"{live.url}/api/jobs", headers=auth).json()):
        assert time.monotonic() < deadline, "the worker did not finish the jobs in 30 s"
        time.sleep(0.2)
    page.goto(f"{live.url}/jobs")
    expect(page.locator('#jobs tr[data-status="succeeded"]')).to_have_count(2)
    expect(page.locator('#jobs tr[data-status="failed"]')).to_have_count(1)
    page.screenshot(path=str(out / "jobs.png"), full_page=True)


def test_forms_are_refused_without_the_sessions_csrf_token(live: Live, page: Any) -> None:
    from playwright.sync_api import expect

    assert live.made is not None
    page.goto(f"{live.url}/stores/shopify")
    toggle = page.locator("#toggle-enabled")
    expect(toggle).to_have_text("Disable the store")
    for tamper in (
        "document.querySelector('form[action$=\"/enabled\"] input[name=csrf]').value = 'forged-token'",
        "document.querySelector('form[action$=\"/enabled\"] input[name=csrf]').remove()",
    ):
        page.evaluate(tamper)
        toggle.click()
        expect(page.locator("body")).to_contain_text("CSRF token is missing or wrong")
        page.goto(f"{live.url}/stores/shopify")
        expect(page.locator("#toggle-enabled")).to_have_text("Disable the store")  # nothing changed
    page.locator("#toggle-enabled").click()
    expect(page.locator("#toggle-enabled")).to_have_text("Enable the store")
    page.locator("#toggle-enabled").click()
    expect(page.locator("#toggle-enabled")).to_have_text("Disable the store")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live.url}/login")
    page.goto(f"{live.url}/stores/shopify")
    expect(page).to_have_url(f"{live.url}/login?next=/stores/shopify")


def test_a_stores_unsupported_actions_are_disabled_with_their_tooltip(live: Live, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live.url}/stores/gumroad")
    action = page.locator('td.action[data-capability="sync_inventory"]')
    control = action.get_by_role("button", name="Run")
    expect(control).to_have_attribute("aria-disabled", "true")
    tooltip = action.get_by_role("tooltip")
    expect(tooltip).to_be_hidden()
    control.hover()
    expect(tooltip).to_be_visible()
    expect(control).to_have_accessible_description(control.get_attribute("title") or "")
    assert len(tooltip.inner_text()) > 20
    page.screenshot(path=str(shots(tmp_path) / "store.png"), full_page=False)
    page.goto(f"{live.url}/matrix")
    page.locator('#matrix td[data-platform="gumroad"][data-capability="sync_inventory"]').get_by_role("button").hover()
    page.screenshot(path=str(shots(tmp_path) / "matrix.png"), full_page=True)
