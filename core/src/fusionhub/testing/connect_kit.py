"""The conformance kit's connect check: each flow a manifest declares connects a store against the
plugin's own sandbox, and (for an `oauth` flow) a forged callback is refused with nothing saved.

The flow's fields are filled from the sandbox's documented `credentials()` and `store_config()` by
name (a field's default otherwise); the consent page is "clicked" by POSTing `approve=yes` to it
(`fusionhub.sandbox.consent`). A sandbox without a consent page at the flow's authorize URL fails
the check with what it answered.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography.fernet import Fernet

from fusionhub import connecting
from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.connect import ConnectFlow, FlowKind
from fusionhub.errors import AuthError
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.sandbox import Sandbox
from fusionhub.secrets import Keyring
from fusionhub.storage import sqlite_url

REDIRECT = "http://127.0.0.1:8765/connect/{slug}/callback"


def sandbox_fields(sandbox: Sandbox, flow: ConnectFlow) -> dict[str, str]:
    """What a person would enter for the sandbox's own store, by field name."""
    known: dict[str, Any] = {**sandbox.store_config(), **sandbox.credentials()}
    values: dict[str, str] = {}
    for field in flow.fields:
        value = known.get(field.name, field.default)
        if value is not None:
            values[field.name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return values


async def approve(sandbox: Sandbox, consent_url: str) -> dict[str, str]:
    """Open the consent page in the sandbox and click Approve: the callback's query."""
    async with httpx.AsyncClient(transport=sandbox.transport()) as browser:
        page = await browser.get(consent_url)
        if page.status_code != 200:
            raise AssertionError(
                f"the sandbox answered {page.status_code} at the consent URL {consent_url.split('?')[0]}: "
                f"serve a consent page there (fusionhub.plugin.consent_page) — {page.text[:200]}"
            )
        answer = await browser.post(consent_url, data={"approve": "yes"})
    location = answer.headers.get("location", "")
    if answer.status_code != 302 or not location:
        raise AssertionError(f"approving answered {answer.status_code}, not a redirect back: {answer.text[:200]}")
    return dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))


async def check_connect_flows(registry: Registry, slug: str, sandbox: Sandbox) -> list[str]:
    """Connect one store per declared flow; the names of the stores saved (AssertionError otherwise)."""
    manifest = registry.platform(slug).manifest
    assert manifest is not None
    with tempfile.TemporaryDirectory() as folder:
        runtime = await Runtime.open(
            sqlite_url(Path(folder) / "connect.db"),
            registry=registry,
            keyring=Keyring([Fernet.generate_key().decode()], "conformance kit"),
            transport_for=lambda store: sandbox.transport(),
            clock=SYSTEM_CLOCK,
        )
        try:
            saved = []
            for flow in manifest.connect:
                values = connecting.read_fields(manifest, flow, sandbox_fields(sandbox, flow))
                name = f"kit-{flow.id}"
                if flow.kind is not FlowKind.OAUTH:
                    saved.append((await connecting.submit(runtime, slug, flow, values, name=name)).name)
                    continue
                redirect = REDIRECT.format(slug=slug)
                forged = connecting.begin(manifest, flow, values, redirect, now=runtime.clock.now(), name=name)
                query = await approve(sandbox, forged.url)
                try:
                    await connecting.finish(runtime, forged, query | {"state": "forged-by-the-conformance-kit"})
                except AuthError:
                    pass
                else:
                    raise AssertionError(f"flow {flow.id}: a callback with another state was accepted")
                if name in [s.name for s in await runtime.stores.list()]:
                    raise AssertionError(f"flow {flow.id}: a refused callback saved a store")
                pending = connecting.begin(manifest, flow, values, redirect, now=runtime.clock.now(), name=name)
                record = await connecting.finish(runtime, pending, await approve(sandbox, pending.url))
                saved.append(record.name)
            return saved
        finally:
            await runtime.aclose()
