"""Live mode, tested as the issue asks: against a sandbox served over real HTTP on loopback (the
store keeps the platform's URLs; `forward_to` routes its requests to the server)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.sandbox.server import SandboxServer
from fusionhub.testing.conformance import conformance_suite
from fusionhub.testing.live import LIVE_TITLE, env_name, live_settings

example_sandbox = pytest.importorskip("fusionhub_example.sandbox")


@pytest.fixture
def served() -> Iterator[tuple[Any, str]]:
    """The example's sandbox on the system clock, served on a free loopback port from a thread."""
    sandbox = example_sandbox.ExampleSandbox(SYSTEM_CLOCK)
    server = SandboxServer(sandbox)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield sandbox, server.url
    asyncio.run_coroutine_threadsafe(server.aclose(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def account(sandbox: Any, url: str, **extra: Any) -> str:
    settings = {"credentials": sandbox.credentials(), "config": sandbox.store_config(), "forward_to": url}
    return json.dumps(settings | extra)


def test_without_the_variable_the_live_checks_skip_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(env_name("example"), raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"set FUSIONHUB_LIVE_EXAMPLE to"):
        conformance_suite("example")().test_live_reads()


def test_live_reads_go_over_http_and_write_nothing(monkeypatch: pytest.MonkeyPatch, served: Any) -> None:
    sandbox, url = served
    monkeypatch.setenv(env_name("example"), account(sandbox, url))
    before = json.dumps(sandbox.products, sort_keys=True)
    kit = conformance_suite("example")()
    kit.test_live_reads()
    paths = [(r.method, r.url.path) for r in sandbox.requests]
    assert ("GET", "/v1/products") in paths and ("GET", "/v1/orders") in paths
    assert all(method == "GET" for method, _ in paths), "read-only by default"
    assert json.dumps(sandbox.products, sort_keys=True) == before
    with pytest.raises(pytest.skip.Exception, match=r'live writes are off: add "writes": true'):
        kit.test_live_writes_clean_up()


def test_live_writes_create_only_their_own_product_and_remove_it(monkeypatch: pytest.MonkeyPatch, served: Any) -> None:
    sandbox, url = served
    monkeypatch.setenv(env_name("example"), account(sandbox, url, writes=True))
    before = set(sandbox.products)
    conformance_suite("example")().test_live_writes_clean_up()
    methods = [r.method for r in sandbox.requests]
    assert methods.count("POST") == 1 and methods.count("DELETE") == 1 and "PATCH" in methods
    assert set(sandbox.products) == before, "the product the check created is deleted for good"
    assert not [p for p in sandbox.products.values() if p["title"].startswith(LIVE_TITLE)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "is not JSON"),
        ('{"config": {}}', 'needs an object with "credentials"'),
        ('{"credentials": {}, "token": "x"}', r"unknown keys \['token'\]"),
    ],
)
def test_a_malformed_live_account_is_a_clear_error(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        live_settings("acme-shop", {"FUSIONHUB_LIVE_ACME_SHOP": raw})
