"""A runtime over the five platforms' sandboxes (no store yet) and the admin app over it, for the
connect-flow tests; `consent` plays the person at the platform's consent page."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from serve_fixtures import BASE, TOKEN, csrf_of, sign_in

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.sandbox.server import TARGET_HEADER
from fusionhub.secrets import Keyring
from fusionhub.serve import AdminToken, create_app
from fusionhub.storage import sqlite_url
from fusionhub.stores import Store
from fusionhub_amazon.sandbox import AmazonSandbox
from fusionhub_etsy.sandbox import EtsySandbox
from fusionhub_gumroad.sandbox import GumroadSandbox
from fusionhub_printify.sandbox import PrintifySandbox
from fusionhub_shopify.sandbox import ShopifySandbox


@dataclass
class Connecting:
    runtime: Runtime
    client: httpx.AsyncClient
    sandboxes: dict[str, Any]

    async def start(self, platform: str, flow: str, fields: dict[str, str]) -> httpx.Response:
        page = await self.client.get(f"/connect/{platform}")
        assert page.status_code == 200, page.text
        return await self.client.post(f"/connect/{platform}/{flow}", data={"csrf": csrf_of(page), **fields})

    async def consent(self, platform: str, url: str, *, approve: bool = True) -> str:
        """Open the consent page in the platform's sandbox and click Approve (or Deny): the callback URL."""
        async with httpx.AsyncClient(transport=self.sandboxes[platform].transport()) as browser:
            page = await browser.get(url)
            assert page.status_code == 200 and "Approve" in page.text, page.text
            answer = await browser.post(url, data={"approve": "yes" if approve else "no"})
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(f"{BASE}/connect/{platform}/callback?"), location
        return location

    async def store_names(self) -> list[str]:
        return [s.name for s in await self.runtime.stores.list()]


@pytest.fixture
async def connecting(tmp_path: Path) -> AsyncIterator[Connecting]:
    sandboxes: dict[str, Any] = {
        "shopify": ShopifySandbox(SYSTEM_CLOCK),
        "etsy": EtsySandbox(SYSTEM_CLOCK),
        "amazon-sc": AmazonSandbox(SYSTEM_CLOCK),
        "printify": PrintifySandbox(SYSTEM_CLOCK),
        "gumroad": GumroadSandbox(SYSTEM_CLOCK),
    }

    def transport_for(store: Store) -> httpx.AsyncBaseTransport:
        return sandboxes[store.platform].transport()  # type: ignore[no-any-return]

    runtime = await Runtime.open(
        sqlite_url(tmp_path / "hub.db"),
        registry=Registry.discover(allow=set(sandboxes)),
        keyring=Keyring([Fernet.generate_key().decode()], "test keys"),
        transport_for=transport_for,
    )
    app = create_app(runtime, AdminToken(TOKEN, "environment"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            await sign_in(client)
            yield Connecting(runtime, client, sandboxes)
    finally:
        await runtime.aclose()


@contextlib.contextmanager
def sandbox_server(slug: str) -> Iterator[str]:
    """`python -m fusionhub.sandbox.server SLUG`: the platform's sandbox shared over HTTP; its URL."""
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "fusionhub.sandbox.server", slug], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[1]  # "listening http://127.0.0.1:PORT"
    finally:
        server.terminate()
        server.wait(10)


def click_approve(sandbox_url: str, consent_url: str) -> str:
    """A person approving the app on the sandbox server's consent page: the callback URL it redirects to."""
    headers = {TARGET_HEADER: consent_url}
    path = consent_url[consent_url.index("/", len("https://")) :]
    page = httpx.get(sandbox_url + path, headers=headers, timeout=10)
    assert page.status_code == 200 and "Approve" in page.text, page.text
    answer = httpx.post(sandbox_url + path, headers=headers, data={"approve": "yes"}, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]
