"""Inventory as print on demand has it (availability, no counts) and orders, against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.errors import ValidationError
from fusionhub.testing.harness import SandboxRun
from fusionhub_printify.sandbox import SHOP_ID, PrintifySandbox

Make = Callable[..., SandboxRun]


def _run(run: SandboxRun, capability: str, params: dict[str, Any]) -> Any:
    return run.clock.run(run.execute(capability, params)).value


def _first(run: SandboxRun) -> dict[str, Any]:
    assert isinstance(run.sandbox, PrintifySandbox)
    product: dict[str, Any] = next(iter(run.sandbox.world.products[SHOP_ID].values()))
    return product


def test_get_inventory_reports_availability_without_counts(printify_run: Make) -> None:
    run = printify_run()
    product = _first(run)
    product["variants"][0]["is_available"] = False  # the provider ran out of this one
    levels = _run(run, "get_inventory", {"product_id": product["id"]}).levels
    by_variant = {lv.variant_id: lv.available for lv in levels}
    assert by_variant["18100"] == 0  # cannot be ordered
    assert by_variant["18101"] is None  # made to order: not counted
    assert by_variant["18110"] == 0  # a variant the product does not offer (disabled)
    sku = product["variants"][1]["sku"]
    only = _run(run, "get_inventory", {"product_id": product["id"], "skus": [sku]}).levels
    assert [lv.sku for lv in only] == [sku]


def test_sync_inventory_turns_zero_into_disabled_and_stock_into_enabled(printify_run: Make) -> None:
    run = printify_run()
    product = _first(run)
    pid = product["id"]
    levels = [
        {"product_id": pid, "variant_id": "18100", "quantity": 0},
        {"product_id": pid, "variant_id": "18101", "quantity": 12},  # already orderable
        {"product_id": pid, "variant_id": "18110", "quantity": 3},  # enables Black / S
    ]
    result = _run(run, "sync_inventory", {"levels": levels})
    assert {(lv.variant_id, lv.available) for lv in result.updated} == {("18100", 0), ("18110", None)}
    assert result.unchanged == 1
    assert [r.method for r in run.sandbox.requests] == ["GET", "PUT"]  # one read, one write per product
    again = _run(run, "sync_inventory", {"levels": levels})
    assert again.updated == [] and again.unchanged == 3 and run.sandbox.requests[-1].method == "GET"


def test_update_variant_inventory_by_sku(printify_run: Make) -> None:
    run = printify_run()
    product = _first(run)
    sku = product["variants"][0]["sku"]
    level = _run(run, "update_variant_inventory", {"target": {"product_id": product["id"], "sku": sku, "quantity": 0}})
    assert level.sku == sku and level.available == 0 and product["variants"][0]["is_enabled"] is False
    sent = run.request_count
    same = _run(run, "update_variant_inventory", {"target": {"product_id": product["id"], "sku": sku, "quantity": 0}})
    assert same.available == 0 and run.request_count == sent + 1  # one read, no write


@pytest.mark.parametrize(
    ("capability", "params", "loc"),
    [
        ("get_inventory", {"skus": ["A"]}, "params.product_id"),
        ("get_inventory", {"product_id": "a" * 24, "location_id": "1"}, "params.location_id"),
        ("update_variant_inventory", {"target": {"sku": "A", "quantity": 1}}, "params.target.product_id"),
        ("sync_inventory", {"levels": [{"variant_id": "1", "quantity": 1}]}, "params.levels.0.product_id"),
    ],
)
def test_inventory_needs_a_product(printify_run: Make, capability: str, params: Any, loc: str) -> None:
    run = printify_run()
    with pytest.raises(ValidationError) as refused:
        _run(run, capability, params)
    assert refused.value.errors[0]["loc"] == loc and run.request_count == 0


def test_orders_page_by_ten_with_a_status_filter(printify_run: Make) -> None:
    run = printify_run(orders=13)
    first = _run(run, "list_orders", {"limit": 50, "status": "on-hold"})
    assert len(first.items) == 10 and first.total == 13
    rest = _run(run, "list_orders", {"cursor": first.next_cursor})
    assert len(rest.items) == 3 and rest.next_cursor is None
    assert {r.url.params["status"] for r in run.sandbox.requests} == {"on-hold"}
    order = first.items[0]
    assert order.status.value == "pending" and order.total is not None and order.lines[0].sku
    assert order.shipping_address is not None and order.shipping_address.name == "Ada Lovelace"
    with pytest.raises(ValidationError):
        _run(run, "list_orders", {"status": "shipped"})


def test_cancel_and_the_actions_printify_has_not(printify_run: Make) -> None:
    run = printify_run()
    assert isinstance(run.sandbox, PrintifySandbox)
    order = run.sandbox.add_order()
    cancelled = _run(run, "update_order_status", {"order_id": order["id"], "action": "cancel"})
    assert cancelled.status.value == "cancelled" and len(run.sandbox.requests) == 1
    with pytest.raises(ValidationError, match="cannot be canceled"):
        _run(run, "update_order_status", {"order_id": order["id"], "action": "cancel"})
    sent = run.request_count
    for action in ("ship", "mark_paid", "close"):
        with pytest.raises(ValidationError, match="print provider ships it"):
            _run(run, "update_order_status", {"order_id": order["id"], "action": action})
    assert run.request_count == sent


def test_bulk_operations_update_through_the_fan_out_and_export_every_order(printify_run: Make) -> None:
    run = printify_run(orders=12)
    sandbox = run.sandbox
    assert isinstance(sandbox, PrintifySandbox)
    ids = list(sandbox.world.products[SHOP_ID])[:2]
    items = [{"product_id": pid, "changes": {"title": f"Bulk {i}"}} for i, pid in enumerate(ids)]
    handle = _run(run, "bulk_operations", {"kind": "update_products", "items": items})
    assert handle.status.value == "completed" and handle.result["succeeded"] == 2
    assert [sandbox.world.products[SHOP_ID][pid]["title"] for pid in ids] == ["Bulk 0", "Bulk 1"]
    export = _run(run, "bulk_operations", {"kind": "export_orders"})
    assert export.result["count"] == 12 and export.done == 12
    pages = [r.url.params["page"] for r in run.sandbox.requests if r.url.path.endswith("/orders.json")]
    assert pages == ["1", "2"]
