"""Writes take effect once: a re-run of a call that may have reached Printify does not repeat it.

`rerun_since` is what a worker passes when an earlier run of the same job may have reached the
platform (it stopped, or the answer was lost); the manifest's `once` says how each write copes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.contracts import Once
from fusionhub.testing.harness import SandboxRun
from fusionhub_printify.plugin import fusionhub_manifest as manifest
from fusionhub_printify.sandbox import DESIGN_URL, SHOP_ID, PrintifySandbox

Make = Callable[..., SandboxRun]
TEE = {
    "title": "Once tee",
    "variants": [{"options": {"color": "White", "size": "M"}, "price": {"amount": "24.00", "currency": "USD"}}],
    "images": [{"url": DESIGN_URL}],
    "platform_fields": {"blueprint_id": 12, "print_provider_id": 29},
}


def _run(run: SandboxRun, capability: str, params: dict[str, Any], *, rerun: bool = False) -> Any:
    return run.clock.run(
        run.hub.execute(run.store, capability, params, call_key="job-1", rerun_since=0.0 if rerun else None)
    ).value


def _sandbox(run: SandboxRun) -> PrintifySandbox:
    assert isinstance(run.sandbox, PrintifySandbox)
    return run.sandbox


def _posts(run: SandboxRun, suffix: str) -> int:
    return sum(1 for r in run.sandbox.requests if r.method == "POST" and r.url.path.endswith(suffix))


def test_every_write_declares_how_it_takes_effect_once() -> None:
    contracts = manifest().capabilities
    declared = {c.value: contracts[c].once for c in contracts if contracts[c].once is not None}
    assert declared == {
        "create_product": Once.RECONCILE,
        "update_product": Once.RECONCILE,
        "delete_product": Once.NATURAL,
        "sync_inventory": Once.NATURAL,
        "update_variant_inventory": Once.NATURAL,
        "update_order_status": Once.RECONCILE,
        "webhooks": Once.NATURAL,
        "bulk_operations": Once.NATURAL,
    }
    assert contracts[Capability.BULK_UPDATE].fan_out is Capability.UPDATE_PRODUCT  # once per item


def test_a_rerun_creation_finds_the_product_instead_of_making_another(printify_run: Make) -> None:
    run = printify_run()
    first = _run(run, "create_product", {"product": TEE})
    again = _run(run, "create_product", {"product": TEE}, rerun=True)
    assert again.id == first.id and _posts(run, "/products.json") == 1
    assert [p["title"] for p in _sandbox(run).world.products[SHOP_ID].values()].count("Once tee") == 1


def test_a_rerun_creation_with_nothing_there_creates(printify_run: Make) -> None:
    run = printify_run()
    created = _run(run, "create_product", {"product": TEE}, rerun=True)  # the first run never got through
    assert created.title == "Once tee" and _posts(run, "/products.json") == 1


def test_a_rerun_finishes_a_publication_the_earlier_run_did_not_reach(printify_run: Make) -> None:
    run = printify_run()
    draft = _run(run, "create_product", {"product": TEE})  # as if it stopped before publishing
    active = _run(run, "create_product", {"product": {**TEE, "status": "active"}}, rerun=True)
    assert active.id == draft.id and active.platform_ids["is_locked"] == "true"
    assert _posts(run, "/products.json") == 1 and _posts(run, "/publish.json") == 1
    again = _run(run, "create_product", {"product": {**TEE, "status": "active"}}, rerun=True)
    assert again.id == draft.id and _posts(run, "/publish.json") == 1  # locked: published already


def test_a_rerun_publication_is_not_sent_again(printify_run: Make) -> None:
    run = printify_run()
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    changes = {"product_id": pid, "changes": {"title": "Launch", "status": "active"}}
    _run(run, "update_product", changes)
    found = _run(run, "update_product", changes, rerun=True)  # would be a 400 (locked) if sent again
    assert found.title == "Launch" and _posts(run, "/publish.json") == 1


def test_a_rerun_send_to_production_and_delete_do_not_fail_on_their_own_effect(printify_run: Make) -> None:
    run = printify_run()
    order = _sandbox(run).add_order()
    _run(run, "update_order_status", {"order_id": order["id"], "action": "fulfill"})
    again = _run(run, "update_order_status", {"order_id": order["id"], "action": "fulfill"}, rerun=True)
    assert again.raw["status"] == "sending-to-production" and _posts(run, "/send_to_production.json") == 1
    pid = next(iter(_sandbox(run).world.products[SHOP_ID]))
    _run(run, "delete_product", {"product_id": pid, "permanent": True})
    assert _run(run, "delete_product", {"product_id": pid, "permanent": True}, rerun=True).permanent is True


def test_subscribing_again_leaves_the_same_subscriptions(printify_run: Make) -> None:
    run = printify_run()
    params = {"action": "subscribe", "topics": ["order:created"], "callback_url": "https://hub.example.com/p"}
    first = _run(run, "webhooks", params)
    again = _run(run, "webhooks", params, rerun=True)
    assert [s.id for s in again.subscriptions] == [s.id for s in first.subscriptions] and _posts(
        run, "/webhooks.json"
    ) == 1
    gone = {"action": "unsubscribe", "subscription_id": first.subscriptions[0].id}
    _run(run, "webhooks", gone)
    assert _run(run, "webhooks", gone, rerun=True).subscriptions == []


def test_a_rerun_bulk_operation_runs_again(printify_run: Make) -> None:
    """bulk_operations is natural: an export only reads, an update fans out one job per item."""
    run = printify_run()
    handle = _run(run, "bulk_operations", {"kind": "export_products"}, rerun=True)
    assert handle.finished and run.request_count > 0
