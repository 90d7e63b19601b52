"""Every request the plugin sends in these tests is recorded and checked against Amazon's SP-API models.

Recording sits in core's LimitedTransport (under every store client, after the auth flow set
the headers), so sandbox runs and respx-mocked runs are both covered; the fake's 2xx answers are
checked against the models' response schemas too, and every feed document uploaded against the
JSON listings feed schema. A test's traffic is validated when it ends; a mismatch fails that test.
Without the models the check is skipped (failed under CI) and the session summary says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from amazon_spec_check import Recorded, load, spec_path, validate

from fusionhub.clock import VirtualClock
from fusionhub.http import transport as core_transport
from fusionhub.testing.harness import SandboxRun, sandbox_run

TOTALS = {"validated": 0}


@pytest.fixture(autouse=True)
def spapi_conformance(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Recorded]]:
    """Record the test's traffic, then validate it all against the models."""
    seen: list[Recorded] = []
    original = core_transport.LimitedTransport.handle_async_request

    async def recording(self: Any, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await original(self, request)
        await response.aread()
        seen.append(Recorded.of(request, response))
        return response

    monkeypatch.setattr(core_transport.LimitedTransport, "handle_async_request", recording)
    yield seen
    models = load()
    if models is None:
        return
    problems = [f"{r.method} {r.url}: {e}" for r in seen for e in validate(models, r)]
    TOTALS["validated"] += len(seen)
    if problems:
        pytest.fail("traffic that departs from the SP-API models:\n" + "\n".join(problems[:20]))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if spec_path() is None:
        terminalreporter.write_line(
            "amazon-sc: SP-API models not found; requests were NOT validated (set FUSIONHUB_SPECS_DIR)"
        )
    elif TOTALS["validated"]:
        terminalreporter.write_line(
            f"amazon-sc: {TOTALS['validated']} recorded requests validated against the SP-API models"
        )


@pytest.fixture
def amazon_run() -> Callable[..., SandboxRun]:
    """A hub with one Amazon store connected to a fresh sandbox on a virtual clock."""

    def make(clock: VirtualClock | None = None, **options: Any) -> SandboxRun:
        return sandbox_run("amazon-sc", clock=clock or VirtualClock(), options=options)

    return make
