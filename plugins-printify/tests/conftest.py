"""A hub with one Printify store connected to a fresh sandbox on a virtual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.clock import VirtualClock
from fusionhub.testing.harness import SandboxRun, sandbox_run


@pytest.fixture
def printify_run() -> Callable[..., SandboxRun]:
    def make(
        clock: VirtualClock | None = None, credentials: dict[str, str] | None = None, **options: Any
    ) -> SandboxRun:
        return sandbox_run("printify", clock=clock or VirtualClock(), options=options, credentials=credentials)

    return make
