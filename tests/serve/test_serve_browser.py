"""`fusionhub serve` as a real process, driven by Playwright in Debian's Chromium: sign in, then every
unsupported capability in the matrix is a disabled control whose tooltip explains it.

Locally the test skips (saying why) without the playwright package or /usr/bin/chromium; under CI
(CI=true) their absence fails it: .ci/run installs chromium, nox installs playwright.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fusionhub.capabilities import Capability

CHROMIUM = os.environ.get("FUSIONHUB_TEST_CHROMIUM", "/usr/bin/chromium")
TOKEN = "browser-test-admin-token-0123456789"
pytestmark = pytest.mark.browser


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs chromium, nox playwright)")
    pytest.skip(reason)


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install playwright)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`fusionhub serve` on a free loopback port, every platform its sandbox, until the test ends."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(
        FUSIONHUB_ADMIN_TOKEN=TOKEN,
        FUSIONHUB_SANDBOX="1",
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
            if process.poll() is not None:
                pytest.fail(f"fusionhub serve exited {process.returncode}: {(tmp_path / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"fusionhub serve did not answer in 60 s: {(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_matrix_greys_out_every_unsupported_capability_with_a_tooltip(server: str, tmp_path: Path) -> None:
    sync_playwright = _playwright()
    from playwright.sync_api import expect

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{server}/matrix")
            expect(page).to_have_url(f"{server}/login?next=/matrix")
            page.fill("input[name=token]", "not-the-admin-token")
            page.click("button[type=submit]")
            expect(page.get_by_role("alert")).to_contain_text("not the admin token")
            page.fill("input[name=token]", TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/matrix")

            platforms = page.locator("#matrix thead th").all_inner_texts()[1:]
            assert "etsy" in platforms, platforms
            assert page.locator("#matrix td.cell").count() == len(platforms) * len(Capability)
            unsupported = page.locator('#matrix td[data-level="unsupported"]')
            assert unsupported.count() > 0
            for i in range(unsupported.count()):
                control = unsupported.nth(i).get_by_role("button")
                expect(control).to_have_attribute("aria-disabled", "true")
                title = control.get_attribute("title") or ""
                assert len(title) > 20, (unsupported.nth(i).get_attribute("data-platform"), title)
                expect(control).to_have_accessible_description(title)
            assert page.locator('#matrix td:not([data-level="unsupported"]) [aria-disabled]').count() == 0

            refund = page.locator('#matrix td[data-platform="etsy"][data-capability="process_refund"]')
            tooltip = refund.get_by_role("tooltip")
            expect(tooltip).to_be_hidden()
            refund.get_by_role("button").hover()
            expect(tooltip).to_be_visible()
            expect(tooltip).to_contain_text("refund")
            page.screenshot(path=str(tmp_path / "matrix.png"), full_page=True)
        finally:
            browser.close()
