"""pytest plugin shipped with core (entry point `pytest11`): fixtures for plugin authors.

It is loaded in every pytest run where fusionhub is installed, so it imports only the clock;
the hub and the harness are imported when a test asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from fusionhub.clock import VirtualClock

if TYPE_CHECKING:
    from fusionhub.testing.harness import SandboxRun


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """A fresh virtual clock; run async code on it with `virtual_clock.run(coro)`."""
    return VirtualClock()


@pytest.fixture
def fusionhub_sandbox(virtual_clock: VirtualClock) -> Callable[..., SandboxRun]:
    """`fusionhub_sandbox("example")`: a hub with one store wired into a fresh sandbox of that plugin.

    Keyword arguments go to `fusionhub.testing.harness.sandbox_run` (options, credentials, registry).
    """
    from fusionhub.testing.harness import sandbox_run

    def make(slug: str, **kwargs: Any) -> SandboxRun:
        return sandbox_run(slug, clock=virtual_clock, **kwargs)

    return make
