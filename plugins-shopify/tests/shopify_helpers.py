"""Shared helpers of the Shopify tests: a hub connected to a fresh Shopify sandbox on a virtual clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub_shopify.sandbox import ShopifySandbox

T = TypeVar("T")


def sandbox_of(run: SandboxRun) -> ShopifySandbox:
    assert isinstance(run.sandbox, ShopifySandbox)
    return run.sandbox


def drive(run: SandboxRun, body: Callable[[SandboxRun], Awaitable[T]]) -> T:
    """Run `body(run)` on the run's virtual clock and close the hub afterwards."""

    async def main() -> T:
        try:
            return await body(run)
        finally:
            await run.aclose()

    return run.clock.run(main())


@pytest.fixture
def shop() -> Callable[..., SandboxRun]:
    """`shop(plan="plus", products=50)`: a store wired to a new sandbox with these options."""

    def make(**options: Any) -> SandboxRun:
        return sandbox_run("shopify", options=options)

    return make
