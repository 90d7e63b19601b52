"""The declared contract: levels per API-FACTS §2, constraints, explanations, least-privilege scopes."""

from __future__ import annotations

import pytest

from fusionhub.capabilities import Capability
from fusionhub.contracts import Level, RequestsPerSecond
from fusionhub.registry import PluginStatus, Registry
from fusionhub_etsy.plugin import fusionhub_manifest as manifest
from fusionhub_etsy.scopes import scopes_for

EXPECTED = {
    "list_products": "native",
    "get_product": "native",
    "create_product": "native",
    "update_product": "native",
    "delete_product": "native",
    "bulk_update": "workaround",
    "sync_inventory": "native",
    "get_inventory": "native",
    "update_variant_inventory": "native",
    "list_orders": "native",
    "get_order": "native",
    "update_order_status": "native",
    "process_refund": "unsupported",
    "webhooks": "unsupported",
    "bulk_operations": "workaround",
}


def test_entry_point_loads_the_plugin_with_the_declared_levels() -> None:
    registry = Registry.discover(allow={"etsy"})
    record = registry.platform("etsy")
    assert record.status is PluginStatus.LOADED
    assert record.distribution == "fusionhub-etsy"
    assert record.manifest is not None and record.manifest.levels() == EXPECTED


def test_constraints_are_the_specifications_plus_reality() -> None:
    constraints = manifest().constraints
    limit = constraints.rate_limit
    assert isinstance(limit, RequestsPerSecond)
    assert (limit.requests, limit.window, limit.per_day) == (10, 1, 10_000)
    assert constraints.batch_size == 1
    assert constraints.polling_interval == 300
    assert constraints.platform_specific["max_images_per_listing"] == 20


def test_workarounds_and_unsupported_capabilities_explain_themselves() -> None:
    m = manifest()
    for capability in (Capability.BULK_UPDATE, Capability.BULK_OPERATIONS):
        workaround = m.contract(capability).workaround
        assert workaround is not None and len(workaround.steps) == 4 and workaround.estimated_time_ms == 100
    refund = m.contract(Capability.PROCESS_REFUND)
    assert "no refund endpoint" in (refund.explanation or "")
    assert "Shop Manager" in (refund.manual_workaround or "")
    webhooks = m.contract(Capability.WEBHOOKS)
    assert "300 seconds" in (webhooks.explanation or "") and webhooks.manual_workaround


@pytest.mark.parametrize(
    ("capabilities", "config", "expected"),
    [
        (["list_products", "get_product"], {}, ["listings_r"]),
        (["list_orders", "update_order_status"], {}, ["transactions_r", "transactions_w"]),
        (["delete_product"], {}, ["listings_w"]),
        (["delete_product"], {"allow_permanent_delete": True}, ["listings_d", "listings_w"]),
        (["process_refund", "webhooks"], {}, []),
    ],
)
def test_scopes_follow_the_enabled_capabilities(
    capabilities: list[str], config: dict[str, bool], expected: list[str]
) -> None:
    assert scopes_for(manifest(), capabilities, config) == expected


def test_listings_d_is_never_requested_without_the_store_flag() -> None:
    assert "listings_d" not in scopes_for(manifest())
    assert "listings_d" in scopes_for(manifest(), config={"allow_permanent_delete": True})
    assert all(c.level is not Level.UNSUPPORTED or not c.scopes for c in manifest().capabilities.values())
