"""Cost-based rate limiting against the sandbox's bucket, on virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from shopify_helpers import drive, sandbox_of

from fusionhub import RateLimited
from fusionhub.testing.harness import SandboxRun, sandbox_run
from fusionhub_shopify.http import MARGIN

CATALOG = 5_000


async def list_everything(run: SandboxRun) -> int:
    return sum([1 async for _ in run.hub.iterate(run.store, "list_products", {"limit": 250})])


@dataclass(frozen=True)
class Listing:
    count: int
    elapsed: float
    minimum: float
    throttled: int


@pytest.fixture(scope="module")
def listings() -> dict[str, Listing]:
    """The whole catalog listed page by page at each plan's rate (computed once for the module)."""
    out = {}
    for plan in ("standard", "plus"):
        run = sandbox_run(
            "shopify", options={"plan": plan, "products": CATALOG, "orders": 0, "variants_per_product": 2}
        )
        count = drive(run, list_everything)
        sandbox = sandbox_of(run)
        out[plan] = Listing(count, run.clock.elapsed, sandbox.minimum_seconds(), sandbox.throttled)
    return out


@pytest.mark.parametrize("plan", ["standard", "plus"])
def test_listing_ends_within_5_percent_of_the_minimum_without_throttling(
    listings: dict[str, Listing], plan: str
) -> None:
    result = listings[plan]
    assert result.count == CATALOG
    assert result.throttled == 0
    assert result.minimum > 0
    ratio = result.elapsed / result.minimum
    assert 1.0 <= ratio <= 1.05, f"{plan}: {result.elapsed:.1f}s for a minimum of {result.minimum:.1f}s ({ratio:.3f}×)"


def test_a_plus_store_is_used_at_its_speed(listings: dict[str, Listing]) -> None:
    assert listings["plus"].elapsed < listings["standard"].elapsed / 8  # 10× the restore rate, 10× the bucket


def test_the_limiter_takes_the_bucket_from_throttle_status(shop: Callable[..., SandboxRun]) -> None:
    run = shop(plan="plus", products=3)
    manifest_bucket = run.ctx.manifest.constraints.rate_limit
    assert manifest_bucket is not None and manifest_bucket.max_cost == 1000  # type: ignore[union-attr]

    async def body(run: SandboxRun) -> Any:
        await run.execute("get_product", sandbox_of(run).sample_params("get_product"))  # type: ignore[arg-type]
        return await run.ctx.limiter.level()

    level = drive(run, body)
    assert (level.capacity, level.refill_rate) == (20_000, 1_000)
    assert level.tokens == pytest.approx(sandbox_of(run).server.bucket.tokens - MARGIN)  # a point kept back


def test_concurrent_requests_never_overdraw_the_bucket(shop: Callable[..., SandboxRun]) -> None:
    run = shop(plan="standard", products=20)
    sandbox = sandbox_of(run)
    products = list(sandbox.state.products.values())

    async def body(run: SandboxRun) -> None:
        calls = [run.execute("get_product", {"product_id": p["id"]}) for p in products for _ in range(3)]
        await asyncio.gather(*calls)

    drive(run, body)
    assert sandbox.throttled == 0 and len(sandbox.requests) >= 60


def test_a_bucket_drained_by_another_app_throttles_once_then_waits(shop: Callable[..., SandboxRun]) -> None:
    run = shop(plan="standard", products=3)
    sandbox = sandbox_of(run)
    params = sandbox.sample_params("get_product")  # type: ignore[arg-type]

    async def body(run: SandboxRun) -> None:
        await run.execute("get_product", params)
        sandbox.server.bucket.tokens = 0.0  # another app of this shop spent it all
        with pytest.raises(RateLimited) as caught:
            await run.execute("get_product", params)
        assert caught.value.retry_after == pytest.approx(304 / 100, rel=0.01)
        started = run.clock.elapsed
        await run.execute("get_product", params)  # the limiter now knows, and waits instead
        assert run.clock.elapsed - started == pytest.approx(3.04, abs=0.05)

    drive(run, body)
    assert sandbox.throttled == 1
