"""Every request the plugin sends in these tests is recorded and checked against Etsy's OpenAPI document.

Recording sits in core's LimitedTransport (under every store client, after the auth flow set
the headers), so sandbox runs and respx-mocked runs are both covered. A test's requests are
validated when it ends; a mismatch fails that test. Without the document the check is skipped
and the session summary says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from etsy_openapi_check import Recorded, load_spec, spec_path, validate

from fusionhub.clock import VirtualClock
from fusionhub.http import transport as core_transport
from fusionhub.testing.harness import SandboxRun, sandbox_run

RECORDED: list[Recorded] = []
TOTALS = {"validated": 0}


@pytest.fixture(autouse=True)
def openapi_conformance(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Recorded]]:
    """Record the test's requests, then validate them all against the document."""
    seen: list[Recorded] = []
    original = core_transport.LimitedTransport.handle_async_request

    async def recording(self: Any, request: httpx.Request) -> httpx.Response:
        await request.aread()
        seen.append(Recorded.of(request))
        return await original(self, request)

    monkeypatch.setattr(core_transport.LimitedTransport, "handle_async_request", recording)
    yield seen
    spec = load_spec()
    if spec is None:
        return
    problems = [f"{r.method} {r.url}: {e}" for r in seen for e in validate(spec, r)]
    TOTALS["validated"] += len(seen)
    RECORDED.extend(seen)
    if problems:
        pytest.fail("requests that depart from Etsy's OpenAPI document:\n" + "\n".join(problems[:20]))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if spec_path() is None:
        terminalreporter.write_line(
            "etsy: OpenAPI document not found; requests were NOT validated (set FUSIONHUB_SPECS_DIR)"
        )
    elif TOTALS["validated"]:
        terminalreporter.write_line(
            f"etsy: {TOTALS['validated']} recorded requests validated against the OpenAPI document"
        )


@pytest.fixture
def etsy_run() -> Callable[..., SandboxRun]:
    """A hub with one Etsy store connected to a fresh sandbox on a virtual clock."""

    def make(clock: VirtualClock | None = None, config: dict[str, Any] | None = None, **options: Any) -> SandboxRun:
        run = sandbox_run("etsy", clock=clock or VirtualClock(), options=options)
        if config:
            run.store.config.update(config)
        run.ctx.outbound_transport = run.sandbox.image_transport()  # type: ignore[attr-defined]
        return run

    return make
