"""Writes re-run after a crash or a lost response take effect once (Etsy takes no idempotency key)."""

from __future__ import annotations

from typing import Any

import pytest
from test_etsy_products import new_product

from fusionhub.errors import TransientError
from fusionhub.models import OrderStatus

MUG = {"product": new_product(title="Speckled mug")}


def _titled(run: Any, title: str) -> list[dict[str, Any]]:
    return [listing for listing in run.sandbox.world.listings.values() if listing["title"] == title]


def test_a_re_run_create_finds_its_listing_instead_of_making_another(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    started = run.clock.now()
    first = run.clock.run(run.execute("create_product", MUG, call_key="job-1")).value
    run.clock.advance(120)  # the worker died; the job runs again after its lease
    again = run.clock.run(run.execute("create_product", MUG, call_key="job-1", rerun_since=started)).value
    assert again.id == first.id and again.status == first.status
    assert len(_titled(run, "Speckled mug")) == 1
    assert not any(r.url.path.endswith("/listings") and r.method == "POST" for r in run.sandbox.requests[-4:])


def test_a_re_run_completes_a_draft_its_earlier_run_left_half_done(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    started = run.clock.now()
    run.sandbox.faults.fail(503, times=9, on="updateListingInventory")  # the run stops after its draft
    with pytest.raises(TransientError):
        run.clock.run(run.execute("create_product", MUG, call_key="job-2"))
    run.sandbox.faults.armed.clear()
    (draft,) = _titled(run, "Speckled mug")
    done = run.clock.run(run.execute("create_product", MUG, call_key="job-2", rerun_since=started)).value
    assert done.id == str(draft["listing_id"]) and len(_titled(run, "Speckled mug")) == 1
    assert [v.sku for v in done.variants] == ["APRON-1"]  # the step the earlier run lost


def test_an_older_listing_of_the_same_title_is_not_taken_for_the_re_run(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    old = run.clock.run(run.execute("create_product", MUG)).value
    run.clock.advance(3600)  # a day's work later, the same title again: a new product
    started = run.clock.now()
    new = run.clock.run(run.execute("create_product", MUG, call_key="job-3", rerun_since=started)).value
    assert new.id != old.id and len(_titled(run, "Speckled mug")) == 2


def test_a_re_run_shipment_is_not_added_twice(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    rid = str(next(iter(run.sandbox.world.receipts)))
    params = {"order_id": rid, "action": "ship", "tracking": {"number": "1Z999AA10123456784", "carrier": "ups"}}
    started = run.clock.now()
    run.clock.run(run.execute("update_order_status", params, call_key="job-4"))
    again = run.clock.run(run.execute("update_order_status", params, call_key="job-4", rerun_since=started)).value
    assert again.status is OrderStatus.SHIPPED
    assert len(run.sandbox.world.receipts[int(rid)]["shipments"]) == 1


def test_a_re_run_permanent_delete_that_went_through_is_done(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(config={"allow_permanent_delete": True})
    created = run.clock.run(run.execute("create_product", MUG)).value
    params = {"product_id": created.id, "permanent": True}
    run.clock.run(run.execute("delete_product", params, call_key="job-5"))
    again = run.clock.run(run.execute("delete_product", params, call_key="job-5", rerun_since=run.clock.now())).value
    assert again.permanent and again.product_id == created.id
