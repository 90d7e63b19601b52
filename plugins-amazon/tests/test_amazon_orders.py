"""Orders 2026-01-01 against the fake: paging, filters, orders that move on with time, confirmShipment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.errors import ValidationError
from fusionhub.testing.harness import SandboxRun

Make = Callable[..., SandboxRun]


def run(amazon: SandboxRun, capability: str, params: dict[str, Any]) -> Any:
    return amazon.clock.run(amazon.execute(capability, params)).value


def test_orders_page_with_the_pagination_token_and_keep_their_filters(amazon_run: Make) -> None:
    amazon = amazon_run(orders=5)
    first = run(amazon, "list_orders", {"limit": 2, "status": "paid"})
    ids = [o.id for o in first.items]
    cursor = first.next_cursor
    while cursor:
        page = run(amazon, "list_orders", {"limit": 2, "cursor": cursor})
        ids += [o.id for o in page.items]
        cursor = page.next_cursor
    assert len(ids) == 5 == len(set(ids))
    searches = [r for r in amazon.sandbox.requests if r.url.path == "/orders/2026-01-01/orders"]
    assert len(searches) == 3 and all(r.url.params["fulfillmentStatuses"] == "UNSHIPPED" for r in searches)
    assert all("createdAfter" in r.url.params for r in searches)


def test_orders_arrive_and_get_paid_as_time_passes(amazon_run: Make) -> None:
    amazon = amazon_run(orders=0, order_every=600.0)
    amazon.clock.advance(1300)
    pending = run(amazon, "list_orders", {"status": "pending"}).items
    assert len(pending) == 2 and all(o.status == "pending" for o in pending)
    amazon.clock.advance(1800)
    order = run(amazon, "get_order", {"order_id": pending[0].id})
    assert order.status == "paid" and order.updated_at is not None and order.updated_at > order.created_at


def test_creation_and_update_filters_exclude_each_other(amazon_run: Make) -> None:
    with pytest.raises(ValidationError, match="not both"):
        run(
            amazon_run(),
            "list_orders",
            {"created_since": "2026-01-01T00:00:00Z", "updated_since": "2026-01-01T00:00:00Z"},
        )


def test_ship_confirms_the_shipment_with_every_item(amazon_run: Make) -> None:
    amazon = amazon_run(orders=2)
    order_id = run(amazon, "list_orders", {"status": "paid"}).items[0].id
    shipped = run(
        amazon,
        "update_order_status",
        {"order_id": order_id, "action": "ship", "tracking": {"number": "1Z999", "carrier": "UPS"}},
    )
    assert shipped.status == "shipped" and shipped.tracking[0].number == "1Z999"
    confirm = [r for r in amazon.sandbox.requests if r.url.path.endswith("/shipmentConfirmation")]
    assert len(confirm) == 1 and b'"carrierCode":"UPS"' in confirm[0].content
    assert shipped.lines[0].sku is not None and shipped.total is not None


@pytest.mark.parametrize("action", ["cancel", "mark_paid", "close"])
def test_actions_without_an_api_call_are_refused_before_any_request(amazon_run: Make, action: str) -> None:
    amazon = amazon_run()
    order_id = next(iter(amazon.sandbox.world.orders))  # type: ignore[attr-defined]
    before = len(amazon.sandbox.requests)
    with pytest.raises(ValidationError, match="no call to"):
        run(amazon, "update_order_status", {"order_id": order_id, "action": action})
    assert len(amazon.sandbox.requests) == before


def test_shipping_needs_a_carrier(amazon_run: Make) -> None:
    amazon = amazon_run()
    order_id = next(iter(amazon.sandbox.world.orders))  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="carrier"):
        run(amazon, "update_order_status", {"order_id": order_id, "action": "ship", "tracking": {"number": "1"}})
