"""Writes re-run after a crash or a lost answer take effect once on Shopify.

Inventory and refunds carry `@idempotent(key:)` (mandatory from 2026-04): a re-run sends the same
key and Shopify answers the first result. productCreate, fulfilments and order actions take no
key: a re-run finds what its earlier run did (ops/once.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from shopify_helpers import drive, sandbox_of

from fusionhub.testing.harness import SandboxRun

Shop = Callable[..., SandboxRun]
JACKET = {
    "product": {
        "title": "Rain Jacket",
        "variants": [{"sku": "RJ-1", "price": {"amount": "80", "currency": "USD"}}],
    }
}


def _twice(run: SandboxRun, capability: str, params: dict[str, Any]) -> tuple[Any, Any]:
    """The call, then its re-run (the same job's key, an earlier run may have reached Shopify)."""

    async def body(run: SandboxRun) -> tuple[Any, Any]:
        since = run.clock.now()
        first = (await run.execute(capability, params, call_key="job-1")).value
        run.clock.advance(90)
        again = (await run.execute(capability, params, call_key="job-1", rerun_since=since)).value
        return first, again

    return drive(run, body)


def _keys(run: SandboxRun) -> list[str]:
    return [
        json.loads(r.content)["variables"]["idempotencyKey"]
        for r in run.sandbox.requests
        if r.url.path.endswith("graphql.json") and b"idempotencyKey" in r.content
    ]


def test_an_inventory_set_re_run_sends_the_same_key_and_is_applied_once(shop: Shop) -> None:
    run = shop(products=3, orders=0)
    sandbox = sandbox_of(run)
    target = dict(sandbox.sample_params("update_variant_inventory")["target"])  # type: ignore[index]
    first, again = _twice(run, "update_variant_inventory", {"target": {**target, "quantity": 7}})
    assert first == again and first.available == 7
    keys = _keys(run)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(sandbox.server.keys.seen) == 1  # the second was answered from the first


def test_a_refund_re_run_finds_the_refund_instead_of_refunding_again(shop: Shop) -> None:
    run = shop(products=5, orders=12)
    order = next(o for o in sandbox_of(run).state.orders.values() if o["_financial"] == "PAID")
    first, again = _twice(
        run, "process_refund", {"order_id": order["id"], "amount": {"amount": "2", "currency": "USD"}}
    )
    assert again.id == first.id and len(order["_refunds"]) == 1


def test_a_create_re_run_finds_its_product(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    first, again = _twice(run, "create_product", JACKET)
    assert again.id == first.id and [v.sku for v in again.variants] == ["RJ-1"]
    assert len(sandbox_of(run).state.products) == 1


def test_a_ship_re_run_finds_its_tracking_number_on_the_order(shop: Shop) -> None:
    run = shop(products=5, orders=12)
    order = next(
        o for o in sandbox_of(run).state.orders.values() if o["_financial"] == "PAID" and not o["_fulfillments"]
    )
    params = {"order_id": order["id"], "action": "ship", "tracking": {"number": "1Z999", "carrier": "UPS"}}
    first, again = _twice(run, "update_order_status", params)
    assert again.status is first.status and [t.number for t in again.tracking] == ["1Z999"]
    assert len(order["_fulfillments"]) == 1


def test_a_subscribe_re_run_skips_what_its_earlier_run_subscribed(shop: Shop) -> None:
    run = shop(products=0, orders=0)
    params = {"action": "subscribe", "topics": ["orders/create"], "callback_url": "https://hooks.example.test/in"}
    first, again = _twice(run, "webhooks", params)
    assert len(again.subscriptions) == len(first.subscriptions) == 1


def test_from_2026_04_the_sandbox_refuses_these_mutations_without_a_key(shop: Shop) -> None:
    run = shop(products=1, orders=0)
    sandbox = sandbox_of(run)
    doc = (
        'mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []})'
        " { userErrors { message } } }"
    )
    request = httpx.Request(
        "POST",
        f"https://{sandbox.shop}/admin/api/2026-04/graphql.json",
        json={"query": doc},
        headers={"x-shopify-access-token": run.store.credentials["access_token"]},
    )
    answer = sandbox.handle(request).json()
    assert "@idempotent directive is required" in answer["errors"][0]["message"]
    assert not sandbox.server.keys.seen
