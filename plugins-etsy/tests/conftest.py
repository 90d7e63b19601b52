"""Every request the plugin sends in these tests is recorded and checked against Etsy's OpenAPI document.

Recording sits in core's LimitedTransport (under every store client, after the auth flow set
the headers), so sandbox runs and respx-mocked runs are both covered. A test's requests are
validated when it ends; a mismatch fails that test. Without the document the check is skipped
and the session summary says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from etsy_openapi_check import load_spec, validate

from fusionhub.clock import VirtualClock
from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub.testing.traffic import TrafficCheck

CHECK = TrafficCheck("etsy", "Etsy's OpenAPI document", load=load_spec, validate=validate)
openapi_conformance = CHECK.fixture()
pytest_terminal_summary = CHECK.summary


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
