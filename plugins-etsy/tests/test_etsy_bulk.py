"""The bulk workarounds: one updateListing per item within the rate limit, progress per item, one aggregate."""

from __future__ import annotations

from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.hookspecs import hookimpl
from fusionhub.models import OperationStatus
from fusionhub.observability.records import CapabilityCall
from fusionhub_etsy import bulk


class Progress:
    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.items: list[tuple[float, bool]] = []

    @hookimpl
    def fusionhub_on_capability_call(self, call: CapabilityCall) -> None:
        if call.capability == "update_product":
            self.items.append((self.clock.now(), call.ok))


def test_bulk_update_fans_out_at_10_per_second_and_aggregates(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(listings=61)
    progress = Progress(run.clock)
    run.registry.add(progress, "etsy-test-progress")
    ids = sorted(run.sandbox.world.listings)[:60]
    items: list[dict[str, Any]] = [{"product_id": str(i), "changes": {"title": f"T{n}"}} for n, i in enumerate(ids)]
    items.insert(10, {"product_id": "999", "changes": {"title": "missing"}})
    outcome = run.clock.run(run.execute("bulk_update", {"items": items}))
    result = outcome.value
    assert outcome.ran_as_workaround and outcome.workaround is not None
    assert (result.total, result.succeeded, result.failed) == (61, 60, 1)
    failed = [i for i in result.items if not i.ok]
    assert [(i.index, i.error_category) for i in failed] == [(10, "not_found")]
    assert result.items[11].result["title"] == "T10"
    assert run.sandbox.throttled == 0 and len(run.sandbox.requests) == 61
    assert abs(run.clock.elapsed - 6.0) <= 0.12  # 61 requests at 10/s: 6.0 s, within 2 %
    times = [t for t, _ in progress.items]
    assert len(times) == 61 and times == sorted(times) and times[30] - times[0] > 2.9  # reported as it went


def test_bulk_operations_update_returns_a_finished_handle_with_the_aggregate(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    params = run.sandbox.sample_params("bulk_operations")
    handle = run.clock.run(run.execute("bulk_operations", params)).value
    assert handle.status is OperationStatus.COMPLETED and handle.done == handle.total == 2
    assert handle.result["succeeded"] == 2
    again = run.clock.run(run.execute("bulk_operations", {"handle": handle.model_dump(mode="json")})).value
    assert again == handle and len(run.sandbox.requests) == 2  # nothing left to poll: no request


def test_bulk_operations_exports_page_100_at_a_time(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(listings=151, receipts=120)
    products = run.clock.run(run.execute("bulk_operations", {"kind": "export_products"})).value
    assert products.result["count"] == 150 and len({x["id"] for x in products.result["products"]}) == 150
    orders = run.clock.run(run.execute("bulk_operations", {"kind": "export_orders"})).value
    assert orders.result["count"] == 120
    assert [r.url.params["limit"] for r in run.sandbox.requests] == ["100"] * 4


def test_bulk_update_is_the_manifests_fan_out_run_by_core(etsy_run) -> None:  # type: ignore[no-untyped-def]
    """No loop and no hookimpl in the plugin: the manifest says one update_product per item."""
    run = etsy_run()
    assert run.ctx.manifest.contract("bulk_update").fan_out is Capability.UPDATE_PRODUCT
    assert run.registry.impl("etsy", "fusionhub_bulk_update") is None and not hasattr(bulk, "bulk_update")
    listing_id = str(next(iter(run.sandbox.world.listings)))
    items = [{"product_id": listing_id, "changes": {"title": "Solo"}}]
    result = run.clock.run(run.execute("bulk_update", {"items": items})).value
    assert result.succeeded == 1 and result.items[0].key == listing_id
    assert run.sandbox.world.listings[int(listing_id)]["title"] == "Solo"
