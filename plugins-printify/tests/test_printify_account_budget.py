"""Printify counts requests per account: the shops of one account share one budget, other accounts keep theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from fusionhub.context import StoreContext
from fusionhub.stores import Store
from fusionhub.testing.harness import SandboxRun
from fusionhub_printify.sandbox import SECOND_SHOP_ID, PrintifySandbox

Make = Callable[..., SandboxRun]


def _store(run: SandboxRun, credentials: dict[str, str], config: dict[str, Any]) -> tuple[Store, StoreContext]:
    store = Store("printify", credentials=credentials, config=config, name="another shop")
    return store, run.hub.connect(store, transport=run.wire)


def _load(run: SandboxRun, stores: list[Store], calls: int) -> float:
    """`calls` product reads per store, all at once; the virtual seconds they took."""
    sandbox = run.sandbox
    assert isinstance(sandbox, PrintifySandbox)

    async def main() -> float:
        start = run.clock.now()
        reads = []
        for store in stores:
            pid = next(iter(sandbox.world.products[int(store.config["shop_id"])]))
            reads += [run.hub.execute(store, "get_product", {"product_id": pid}) for _ in range(calls)]
        await asyncio.gather(*reads)
        return run.clock.now() - start

    return run.clock.run(main())  # type: ignore[no-any-return]


def _busiest_minute(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 60) for start in times)


def test_two_shops_of_one_account_stay_within_its_600_per_minute_together(printify_run: Make) -> None:
    run = printify_run()
    other, ctx = _store(run, run.sandbox.credentials(), {"shop_id": SECOND_SHOP_ID})
    elapsed = _load(run, [run.store, other], 400)  # 800 requests: more than one account-minute
    assert run.sandbox.throttled == 0 and len(run.sandbox.requests) == 800
    assert _busiest_minute(run.sandbox.received_at) <= 600  # the account's real limit, never reached
    assert _busiest_minute(run.sandbox.received_at) <= 301  # the declared 5/s, shared: 300 a minute for both
    assert 159.5 <= elapsed <= 160.0  # 800 at the account's 5/s, not 5/s per shop
    assert ctx.limiter.store_key == run.ctx.limiter.store_key
    assert "SANDBOX" not in ctx.limiter.store_key  # bucket keys are stored: a hash, never the token


def test_shops_of_two_accounts_keep_their_own_budgets(printify_run: Make) -> None:
    run = printify_run()
    sandbox = run.sandbox
    assert isinstance(sandbox, PrintifySandbox)
    other, ctx = _store(run, *sandbox.add_account())
    elapsed = _load(run, [run.store, other], 100)
    assert sandbox.throttled == 0 and len(sandbox.requests) == 200
    assert 19.5 <= elapsed <= 20.0  # each account at its own 5/s
    assert ctx.limiter.store_key != run.ctx.limiter.store_key


def test_the_sandbox_refuses_an_account_past_600_a_minute(printify_run: Make) -> None:
    """The limit the budget test stays under is real in the sandbox: unpaced, the 601st request is a 429."""
    run = printify_run()
    sandbox = run.sandbox
    assert isinstance(sandbox, PrintifySandbox)
    headers = {"Authorization": f"Bearer {sandbox.credentials()['access_token']}", "User-Agent": "test"}
    shops = ["8806001", str(SECOND_SHOP_ID)]
    statuses = [
        sandbox.handle(
            httpx.Request("GET", f"https://api.printify.com/v1/shops/{shops[i % 2]}/products.json", headers=headers)
        ).status_code
        for i in range(601)
    ]
    assert statuses.count(200) == 600 and statuses[-1] == 429 and sandbox.throttled == 1
    run.clock.advance(60.0)
    assert (
        sandbox.handle(httpx.Request("GET", "https://api.printify.com/v1/shops.json", headers=headers)).status_code
        == 200
    )
