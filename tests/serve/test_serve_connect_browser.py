"""A connect flow clicked through in Chromium: `fusionhub serve` (a real process, its Shopify the
sandbox server) → Connect → Shopify's form → the consent page → Approve → back on the new store's
page. The browser asks for https://sandbox-shop.myshopify.com itself; Playwright hands those
requests to the sandbox server (as `forwarding` does for the hub's own client), so the consent page
and its redirect are the sandbox's, byte for byte.

FUSIONHUB_SCREENSHOTS=DIR keeps the Connect page's screenshot there (docs/screenshots is made so).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_fixtures import sandbox_server
from test_serve_browser import CHROMIUM, TOKEN, _free_port, _playwright

from fusionhub.plugin import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from fusionhub.sandbox.server import TARGET_HEADER

pytestmark = pytest.mark.browser
SHOP = "sandbox-shop.myshopify.com"


@pytest.fixture
def served_with_sandbox(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(admin URL, sandbox server URL): `fusionhub serve` whose Shopify is the sandbox server."""
    with sandbox_server("shopify") as sandbox:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
        env.update(
            FUSIONHUB_ADMIN_TOKEN=TOKEN,
            FUSIONHUB_SANDBOX=sandbox,
            FUSIONHUB_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
            XDG_DATA_HOME=str(tmp_path / "data"),
        )
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "fusionhub.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
            yield url, sandbox
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def _to_sandbox(sandbox: str) -> Any:
    def handle(route: Any) -> None:
        request = route.request
        path = request.url[request.url.index("/", len("https://")) :]
        answer = httpx.request(
            request.method,
            sandbox + path,
            headers={TARGET_HEADER: request.url, "content-type": request.headers.get("content-type", "")},
            content=request.post_data_buffer or b"",
            timeout=10,
        )
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        route.fulfill(status=answer.status_code, headers=headers, body=answer.content)

    return handle


def test_connect_shopify_clicked_through_against_the_sandbox(
    served_with_sandbox: tuple[str, str], tmp_path: Path
) -> None:
    server, sandbox = served_with_sandbox
    sync_playwright = _playwright()
    from playwright.sync_api import expect

    shots = Path(os.environ.get("FUSIONHUB_SCREENSHOTS", tmp_path))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route(f"https://{SHOP}/**", _to_sandbox(sandbox))
            page.goto(f"{server}/connect")
            page.fill("input[name=token]", TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/connect")
            page.get_by_role("link", name="Connect Shopify").click()
            expect(page).to_have_url(f"{server}/connect/shopify")
            install = page.locator("#flow-install")
            expect(install.get_by_role("heading")).to_have_text("Install the app on a shop")
            expect(install).to_contain_text(f"{server}/connect/shopify/callback")
            install.get_by_label("Shop domain").fill(SHOP)
            install.get_by_label("App client ID").fill(SANDBOX_CLIENT_ID)
            install.get_by_label("App client secret").fill(SANDBOX_CLIENT_SECRET)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "serve-connect.png"), full_page=True)

            install.get_by_role("button", name="Connect Shopify").click()
            expect(page).to_have_url(re.compile(rf"^https://{re.escape(SHOP)}/admin/oauth/authorize\?"))
            expect(page.get_by_role("heading")).to_have_text("Shopify sandbox")
            expect(page.locator("main")).to_contain_text("read_products")
            page.get_by_role("button", name="Approve").click()

            expect(page).to_have_url(re.compile(rf"^{re.escape(server)}/stores/[0-9a-f-]{{36}}$"))
            expect(page.get_by_role("heading", level=1)).to_contain_text("sandbox-shop")
            page.goto(f"{server}/stores")
            expect(page.locator("#stores")).to_contain_text("sandbox-shop")
        finally:
            browser.close()
