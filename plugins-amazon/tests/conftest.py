"""Every request the plugin sends in these tests is recorded and checked against Amazon's SP-API models.

Recording sits in core's LimitedTransport (under every store client, after the auth flow set
the headers), so sandbox runs and respx-mocked runs are both covered; the fake's 2xx answers are
checked against the models' response schemas too, and every feed document uploaded against the
JSON listings feed schema. A test's traffic is validated when it ends; a mismatch fails that test.
Without the models the check is skipped (failed under CI) and the session summary says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from amazon_spec_check import load, validate

from fusionhub.clock import VirtualClock
from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub.testing.traffic import TrafficCheck

CHECK = TrafficCheck("amazon-sc", "the SP-API models", load=load, validate=validate)
spapi_conformance = CHECK.fixture()
pytest_terminal_summary = CHECK.summary


@pytest.fixture
def amazon_run() -> Callable[..., SandboxRun]:
    """A hub with one Amazon store connected to a fresh sandbox on a virtual clock."""

    def make(clock: VirtualClock | None = None, **options: Any) -> SandboxRun:
        return sandbox_run("amazon-sc", clock=clock or VirtualClock(), options=options)

    return make
