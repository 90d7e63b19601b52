"""Receipts as orders: list/get, tracking, shipped/paid; no cancel and no refund in Etsy's API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fusionhub.errors import CapabilityUnsupported, NotFound, ValidationError
from fusionhub.models import OrderStatus


def test_list_orders_pages_with_filters_kept_in_the_cursor(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(receipts=5)
    first = run.clock.run(run.execute("list_orders", {"limit": 2, "status": "paid"})).value
    assert len(first.items) == 2 and first.total == 5 and first.next_cursor
    second = run.clock.run(run.execute("list_orders", {"limit": 2, "cursor": first.next_cursor})).value
    assert {o.id for o in first.items}.isdisjoint({o.id for o in second.items})
    assert [r.url.params.get("was_paid") for r in run.sandbox.requests] == ["true", "true"]
    assert run.sandbox.requests[1].url.params["offset"] == "2"


def test_list_orders_since_uses_etsys_timestamps(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    run.clock.run(run.execute("list_orders", {"created_since": since, "updated_since": since}))
    params = run.sandbox.requests[0].url.params
    assert params["min_created"] == params["min_last_modified"] == str(int(since.timestamp()))


def test_get_order_maps_the_receipt(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    receipt_id = next(iter(run.sandbox.world.receipts))
    order = run.clock.run(run.execute("get_order", {"order_id": str(receipt_id)})).value
    assert order.status is OrderStatus.PAID and str(order.total.amount) == "15" and order.total.currency == "USD"
    assert order.lines[0].quantity == 1 and order.shipping_address.country_code == "US"
    with pytest.raises(NotFound):
        run.clock.run(run.execute("get_order", {"order_id": "999"}))


def test_ship_with_tracking_creates_a_shipment(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    receipt_id = str(next(iter(run.sandbox.world.receipts)))
    params = {"order_id": receipt_id, "action": "ship", "tracking": {"number": "1Z999AA10123456784", "carrier": "ups"}}
    order = run.clock.run(run.execute("update_order_status", params)).value
    assert order.status is OrderStatus.SHIPPED and order.tracking[0].number == "1Z999AA10123456784"
    assert run.sandbox.requests[0].url.path.endswith("/tracking")


def test_ship_without_tracking_and_mark_paid_update_the_receipt(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    receipt = run.sandbox.add_receipt(paid=False)
    rid = str(receipt["receipt_id"])
    paid = run.clock.run(run.execute("update_order_status", {"order_id": rid, "action": "mark_paid"})).value
    assert paid.status is OrderStatus.PAID
    shipped = run.clock.run(run.execute("update_order_status", {"order_id": rid, "action": "fulfill"})).value
    assert shipped.status is OrderStatus.SHIPPED
    bodies = [r.content.decode() for r in run.sandbox.requests]
    assert bodies == ["was_paid=true", "was_shipped=true"] and {r.method for r in run.sandbox.requests} == {"PUT"}


@pytest.mark.parametrize("action", ["cancel", "close"])
def test_cancel_and_close_are_not_in_the_api(etsy_run, action: str) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    with pytest.raises(ValidationError, match="Shop Manager"):
        run.clock.run(run.execute("update_order_status", {"order_id": "1000025", "action": action}))
    assert run.sandbox.requests == []


def test_tracking_needs_a_carrier(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    params = {"order_id": "1000025", "action": "ship", "tracking": {"number": "123"}}
    with pytest.raises(ValidationError) as caught:
        run.clock.run(run.execute("update_order_status", params))
    assert caught.value.errors[0]["loc"] == "params.tracking.carrier"


def test_refund_is_unsupported_with_the_manual_workaround_and_no_request(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    with pytest.raises(CapabilityUnsupported) as caught:
        run.clock.run(run.execute("process_refund", {"order_id": "1000025"}))
    assert "Shop Manager" in (caught.value.manual_workaround or "")
    assert run.sandbox.requests == []
