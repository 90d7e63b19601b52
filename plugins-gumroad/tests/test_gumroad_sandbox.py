"""The sandbox behaves like Gumroad where the plugin depends on it: paging, older accounts, the budget."""

from __future__ import annotations

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.errors import NotFound, PlatformError
from fusionhub.sandbox import SANDBOX_ACCESS_TOKEN
from fusionhub.testing.harness import sandbox_run
from fusionhub_gumroad.sandbox import GumroadSandbox

API = "https://api.gumroad.com/v2"
AUTH = {"Authorization": f"Bearer {SANDBOX_ACCESS_TOKEN}"}


def test_every_product_once_through_pages_of_any_size() -> None:
    run = sandbox_run("gumroad", options={"products": 23, "sales": 0})
    seen: list[str] = []
    cursor = None

    async def walk() -> None:
        nonlocal cursor
        while True:
            page = (await run.execute("list_products", {"limit": 7, **({"cursor": cursor} if cursor else {})})).value
            assert len(page.items) <= 7
            seen.extend(p.id for p in page.items)
            cursor = page.next_cursor
            if cursor is None:
                return

    run.clock.run(walk())
    assert len(seen) == 23 == len(set(seen))
    pages = [r.url.params.get("page_key") for r in run.sandbox.requests]
    # 10 + 10 + 3 records; 7 at a time: each full page is read twice (7, then its other 3)
    assert pages == [None, None, pages[2], pages[2], pages[4]] and run.sandbox.throttled == 0


def test_an_older_account_gets_a_clear_error_on_create_and_update_but_can_archive() -> None:
    run = sandbox_run("gumroad", options={"older_account": True})
    sandbox = run.sandbox
    first = sandbox.sample_params("get_product")["product_id"]  # type: ignore[attr-defined, index]
    price = {"amount": "5", "currency": "USD"}

    async def main() -> None:
        for capability, params in (
            ("create_product", {"product": {"title": "x", "variants": [{"price": price}]}}),
            ("update_product", {"product_id": first, "changes": {"title": "y"}}),
        ):
            with pytest.raises(PlatformError, match="not available for this Gumroad account"):
                await run.execute(capability, params)
        archived = await run.execute("update_product", {"product_id": first, "changes": {"status": "archived"}})
        assert archived.value.status.value == "inactive"
        with pytest.raises(NotFound):
            await run.execute("get_product", {"product_id": "bm8tc3VjaA=="})

    run.clock.run(main())


def test_the_sandbox_refuses_past_60_requests_a_minute_per_token() -> None:
    clock = VirtualClock()
    sandbox = GumroadSandbox(clock, products=1, sales=0)
    get = httpx.Request("GET", f"{API}/products", headers=AUTH)
    statuses = [sandbox.handle(get).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429 and sandbox.throttled == 1
    refused = sandbox.handle(get)
    assert float(refused.headers["Retry-After"]) > 0
    other = httpx.Request("GET", f"{API}/products", params={"access_token": "another"})
    assert sandbox.handle(other).status_code == 401  # another token has its own budget, and is not ours
    clock.advance(60.0)
    assert sandbox.handle(get).status_code == 200


def test_core_paces_a_burst_so_the_sandbox_never_refuses() -> None:
    run = sandbox_run("gumroad", options={"products": 3, "sales": 0})

    async def burst() -> float:
        started = run.clock.now()
        for _ in range(90):
            await run.execute("get_product", run.sandbox.sample_params("get_product"))  # type: ignore[arg-type]
        return run.clock.now() - started

    took = run.clock.run(burst())
    assert run.sandbox.throttled == 0 and took >= 88.0  # 60 a minute, spent evenly


def test_refunds_and_shipping_change_the_sale() -> None:
    run = sandbox_run("gumroad", options={"products": 2, "sales": 2})
    sale_id = run.sandbox.sample_params("get_order")["order_id"]  # type: ignore[index]

    async def main() -> None:
        await run.execute("process_refund", {"order_id": sale_id, "amount": {"amount": "1", "currency": "USD"}})
        part = (await run.execute("get_order", {"order_id": sale_id})).value
        assert part.status.value == "partially_refunded"
        await run.execute("process_refund", {"order_id": sale_id})
        assert (await run.execute("get_order", {"order_id": sale_id})).value.status.value == "refunded"
        with pytest.raises(Exception, match="already refunded"):
            await run.execute("process_refund", {"order_id": sale_id})

    run.clock.run(main())
