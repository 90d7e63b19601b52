"""A canary secret placed in a store's credentials appears in no log line, exception or repr.

Runs success, platform failure (the platform echoes the key), retry, network exception and
plugin-bug paths, capturing the rendered structlog output (JSON and console) and every stdlib
log record (httpx logs full URLs, with the key in the query).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fake_platform import FakeServer, make_hub

from fusionhub import Capability, Store, hookimpl
from fusionhub.clock import VirtualClock
from fusionhub.credentials import Credentials
from fusionhub.errors import FusionHubError
from fusionhub.http import HttpConfig
from fusionhub.observability import configure_logging
from fusionhub.observability.records import ApiCall, CapabilityCall
from fusionhub.observability.redaction import REDACTED, is_secret_key, redact, safe_target

CANARY = "canary-Zq8xW3v9Lm2Pk7"


class Collector:
    def __init__(self) -> None:
        self.records: list[Any] = []

    @hookimpl
    def fusionhub_on_api_call(self, call: ApiCall) -> None:
        self.records.append(call)

    @hookimpl
    def fusionhub_on_capability_call(self, call: CapabilityCall) -> None:
        self.records.append(call)


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    yield buffer
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "fusionhub"]:
        root.removeHandler(handler)
    structlog.reset_defaults()


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_canary_never_leaks(
    fmt: str, virtual_clock: VirtualClock, log_buffer: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging(fmt, level="DEBUG", stream=log_buffer)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="httpx")  # configure_logging quiets it; its URL lines are the test
    server = FakeServer(virtual_clock, api_key=CANARY)
    hub = make_hub(virtual_clock, server)
    collector = Collector()
    hub.registry.pm.register(collector, "collector")
    store = Store(platform="fakeshop", credentials={"api_key": CANARY}, id="canary-store")
    ctx = hub.connect(store, transport=server.transport())
    wrong = Store(platform="fakeshop", credentials={"api_key": CANARY + "-old"}, id="wrong-key-store")
    hub.connect(wrong, transport=server.transport())
    errors: list[BaseException] = []

    async def attempt(target: Store, product_id: str) -> None:
        try:
            await hub.execute(target, Capability.GET_PRODUCT, {"product_id": product_id})
        except FusionHubError as exc:
            errors.append(exc)

    async def main() -> None:
        await attempt(store, "1")  # success
        await attempt(store, "404")  # platform failure: not found
        await attempt(wrong, "1")  # auth failure: the platform echoes the key it got
        server.faults = [503, httpx.ConnectError]
        await attempt(store, "2")  # retried twice, then a 404
        server.faults = [httpx.ReadTimeout] * 4
        await attempt(store, "3")  # network exception after every retry
        await attempt(store, "explode")  # a plugin bug with the key in its message

    virtual_clock.run(main())

    assert [type(e).__name__ for e in errors] == [
        "NotFound",
        "AuthError",
        "NotFound",
        "TransientError",
        "PlatformError",
    ]
    api_calls = [r for r in collector.records if isinstance(r, ApiCall)]
    assert max(c.retries for c in api_calls) == 3  # the retry paths really ran
    assert any(c.error == "ReadTimeout" for c in api_calls)
    assert "[redacted]" in errors[1].message  # the echoed key was scrubbed, the message kept

    rendered = log_buffer.getvalue()
    assert "api_call" in rendered and "capability_call" in rendered and "retry" in rendered
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx logged its URLs
    texts = [
        rendered,
        caplog.text,
        *(r.getMessage() for r in caplog.records),
        *(repr(r.__dict__) for r in caplog.records),
        *(f"{e!s} {e!r} {e.to_dict()}" for e in errors if isinstance(e, FusionHubError)),
        *(repr(r) for r in collector.records),
        repr(store),
        repr(store.credentials),
        repr(ctx),
        repr(hub.stats()),
        repr(ctx.http.auth),
        repr(HttpConfig(base_url="https://x.test/", headers={"X-Shopify-Access-Token": CANARY})),
    ]
    for text in texts:
        assert CANARY not in text


def test_stdlib_records_are_scrubbed_even_without_configure_logging(caplog: pytest.LogCaptureFixture) -> None:
    Credentials({"api_key": "canary-unconfigured-4711"})  # loading a secret is enough
    caplog.set_level(logging.INFO, logger="some.library")
    logging.getLogger("some.library").info("GET %s", "https://x.test/a?api_key=canary-unconfigured-4711")
    assert caplog.records[-1].getMessage() == "GET https://x.test/a?api_key=[redacted]"
    assert "canary-unconfigured-4711" not in caplog.text


def test_a_plugin_declared_secret_header_is_redacted_by_name(log_buffer: io.StringIO) -> None:
    # A value never loaded as a credential, under a name no default catches: only the declaration hides it.
    name, value = "X-Canary-Pass", "plain-looking-value-93"
    assert not is_secret_key(name)
    config = HttpConfig(base_url="https://x.test/", headers={name: value}, secret_names=(name,))
    assert is_secret_key(name.lower()) and is_secret_key(name.upper())
    configure_logging("json", level="DEBUG", stream=log_buffer)
    structlog.get_logger("plugin").info("sending", headers=dict(config.headers), query={name: value})
    texts = [
        repr(config),
        log_buffer.getvalue(),
        safe_target("/orders", [(name.lower(), value)]),
        repr(redact({"request": {"headers": {name: value}}})),
    ]
    assert "sending" in texts[1]
    for text in texts:
        assert value not in text and REDACTED in text
