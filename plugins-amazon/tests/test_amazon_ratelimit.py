"""Per-operation budgets against the fake: a slow operation never holds back a fast one; the table is the models'."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.testing.harness import SandboxRun
from fusionhub.testing.specs import require_spec
from fusionhub_amazon.endpoints import OPERATIONS
from fusionhub_amazon.ratelimit import RATES

Make = Callable[..., SandboxRun]
MODELS = [
    "listingsItems_2021-08-01.json",
    "fbaInventory.json",
    "orders_2026-01-01.json",
    "ordersV0.json",
    "feeds_2021-06-30.json",
    "notifications.json",
]


def test_a_slow_operation_does_not_hold_back_fast_ones(amazon_run: Make) -> None:
    amazon = amazon_run(orders=3)
    finished: dict[str, list[float]] = {"list_orders": [], "get_product": []}
    start = amazon.clock.now()

    async def call(capability: str, params: dict[str, Any]) -> None:
        await amazon.execute(capability, params)
        finished[capability].append(amazon.clock.now() - start)

    async def main() -> None:
        slow = [call("list_orders", {"limit": 1}) for _ in range(22)]  # searchOrders: burst 20, then 1 per 178 s
        fast = [call("get_product", {"product_id": "SKU-001"}) for _ in range(10)]  # getListingsItem: burst 10
        await asyncio.gather(*slow, *fast)

    amazon.clock.run(main())
    assert max(finished["get_product"]) < 1.0  # not queued behind the orders
    assert sorted(finished["list_orders"])[-1] >= 2 / 0.0056 - 1  # the 21st and 22nd waited for searchOrders' refill
    assert amazon.sandbox.throttled == 0


def test_refreshing_before_expiry_is_seamless(amazon_run: Make) -> None:
    amazon = amazon_run()
    amazon.clock.advance(3600 - 30)  # inside the refresh leeway
    amazon.clock.run(amazon.execute("get_product", {"product_id": "SKU-001"}))
    assert amazon.sandbox.refreshes == 1  # type: ignore[attr-defined]
    assert amazon.store.credentials["access_token"].startswith("Atza|")
    assert amazon.store.credentials["refresh_token"] == amazon.sandbox.credentials()["refresh_token"]


def usage_plans() -> dict[str, tuple[float, int]]:
    plans = {}
    for name in MODELS:
        doc = json.loads(require_spec(f"amazon/{name}", __file__).read_text())
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and "operationId" in op:
                    found = re.search(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", op.get("description", ""))
                    if found and (name != "ordersV0.json" or op["operationId"] == "confirmShipment"):
                        plans[op["operationId"]] = (float(found[1]), int(found[2]))
    return plans


def test_the_rate_table_is_the_models_usage_plans() -> None:
    plans = usage_plans()
    assert set(RATES) == set(OPERATIONS)  # every operation called has its budget
    assert {op: (r.rate, r.burst) for op, r in RATES.items()} == {op: plans[op] for op in RATES}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_called_is_in_the_models(operation: str) -> None:
    assert operation in usage_plans()


def test_each_app_of_a_seller_has_its_own_buckets(amazon_run: Make) -> None:
    from fusionhub.hub import Hub
    from fusionhub.registry import Registry
    from fusionhub.stores import Store

    amazon = amazon_run()
    sandbox = amazon.sandbox
    other = Store("amazon-sc", credentials=sandbox.add_app(), config=sandbox.store_config())  # type: ignore[attr-defined]
    hub = Hub(Registry.discover(allow={"amazon-sc"}), clock=amazon.clock)
    hub.connect(other, transport=sandbox.transport())

    async def main() -> None:
        calls = [amazon.execute("get_product", {"product_id": "SKU-001"}) for _ in range(10)]
        calls += [hub.execute(other, "get_product", {"product_id": "SKU-001"}) for _ in range(10)]
        await asyncio.gather(*calls)
        await hub.aclose()

    start = amazon.clock.now()
    amazon.clock.run(main())
    assert amazon.clock.now() - start < 1.0  # 2 x burst 10: neither app waited for the other
    assert sandbox.throttled == 0


def test_a_token_amazon_no_longer_accepts_is_a_403_auth_error(amazon_run: Make) -> None:
    from fusionhub.errors import AuthError

    amazon = amazon_run()
    amazon.sandbox.expire_tokens()  # type: ignore[attr-defined]  # revoked early: the hub still thinks it is valid
    with pytest.raises(AuthError, match="expired"):
        amazon.clock.run(amazon.execute("get_product", {"product_id": "SKU-001"}))
