"""pytest plugin shipped with core (entry point `pytest11`): fixtures for plugin authors."""

from __future__ import annotations

import pytest

from fusionhub.clock import VirtualClock


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """A fresh virtual clock; run async code on it with `virtual_clock.run(coro)`."""
    return VirtualClock()
