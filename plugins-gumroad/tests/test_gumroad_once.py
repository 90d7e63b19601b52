"""Writes re-run after a crash or a lost answer take effect once: Gumroad takes no idempotency key."""

from __future__ import annotations

import pytest

from fusionhub.errors import OutcomeUnknown
from fusionhub.testing.harness import sandbox_run

EBOOK = {
    "product": {"title": "Field notes", "status": "active", "variants": [{"price": {"amount": "7", "currency": "USD"}}]}
}


def _named(run, title: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return [p for p in run.sandbox.world.products.values() if p["name"] == title]


def test_a_re_run_create_finds_its_product_and_publishes_it() -> None:
    run = sandbox_run("gumroad", options={"sales": 0})
    run.sandbox.faults.fail(500, times=9, on="PUT /products/{id}/enable")  # the run stops before publishing
    with pytest.raises(Exception, match="internal error"):
        run.clock.run(run.execute("create_product", EBOOK, call_key="job-1"))
    run.sandbox.faults.armed.clear()
    again = run.clock.run(run.execute("create_product", EBOOK, call_key="job-1", rerun_since=0.0)).value
    (only,) = _named(run, "Field notes")
    assert again.id == only["id"] and only["published"] is True


def test_two_candidates_stop_the_re_run_for_a_person() -> None:
    run = sandbox_run("gumroad", options={"sales": 0})
    run.clock.run(run.execute("create_product", EBOOK))
    run.clock.run(run.execute("create_product", EBOOK))
    with pytest.raises(OutcomeUnknown, match="2 products are named"):
        run.clock.run(run.execute("create_product", EBOOK, call_key="job-2", rerun_since=0.0))
    assert len(_named(run, "Field notes")) == 2


def test_a_re_run_whole_refund_is_found_and_a_partial_one_stops() -> None:
    run = sandbox_run("gumroad")
    sale = run.sandbox.sample_params("get_order")["order_id"]  # type: ignore[attr-defined, index]
    run.clock.run(run.execute("process_refund", {"order_id": sale}, call_key="job-3"))
    sent = len(run.sandbox.requests)
    again = run.clock.run(run.execute("process_refund", {"order_id": sale}, call_key="job-3", rerun_since=0.0))
    assert again.value.order_id == sale and not any(r.method == "PUT" for r in run.sandbox.requests[sent:])
    partial = {"order_id": sale, "amount": {"amount": "1.00", "currency": "USD"}}
    with pytest.raises(OutcomeUnknown, match="partial refund"):
        run.clock.run(run.execute("process_refund", partial, call_key="job-4", rerun_since=0.0))
