"""Etsy counts QPS and QPD per API key: every shop connected through one app shares one budget."""

from __future__ import annotations

import asyncio
from typing import Any

from fusionhub.context import StoreContext
from fusionhub.stores import Store


def _second_store(run: Any, credentials: dict[str, str]) -> tuple[Store, StoreContext]:
    store = Store("etsy", credentials=credentials, config=run.sandbox.store_config(), name="second shop")
    return store, run.hub.connect(store, transport=run.wire)


def _load(run: Any, other: Store, calls: int) -> float:
    listing_id = str(next(iter(run.sandbox.world.listings)))
    params = {"product_id": listing_id}

    async def main() -> float:
        start = run.clock.now()
        await asyncio.gather(
            *(run.hub.execute(store, "get_product", params) for _ in range(calls) for store in (run.store, other))
        )
        return run.clock.now() - start  # type: ignore[no-any-return]

    return run.clock.run(main())  # type: ignore[no-any-return]


def test_two_stores_of_one_app_stay_together_within_the_apps_limits(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    other, ctx = _second_store(run, run.sandbox.credentials())
    elapsed = _load(run, other, 50)
    assert run.sandbox.throttled == 0 and len(run.sandbox.requests) == 100
    assert 9.8 <= elapsed <= 10.0  # 100 requests at the app's 10/s, not 10/s per shop
    assert ctx.limiter.store_key == run.ctx.limiter.store_key
    assert run.sandbox.keystring not in ctx.limiter.store_key  # bucket keys are stored: a hash, never the key
    assert [s.key for s in ctx.limiter.shapes()] == [s.key for s in run.ctx.limiter.shapes()]  # QPS and QPD


def test_stores_of_two_apps_keep_their_own_budgets(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    other, ctx = _second_store(run, run.sandbox.add_app())
    elapsed = _load(run, other, 50)
    assert run.sandbox.throttled == 0 and len(run.sandbox.requests) == 100
    assert 4.8 <= elapsed <= 5.0  # each app at its own 10/s
    assert ctx.limiter.store_key != run.ctx.limiter.store_key
