"""The declared contract: levels per API-FACTS §4, constraints, explanations, the store config schema."""

from __future__ import annotations

import pytest

from fusionhub.capabilities import Capability
from fusionhub.contracts import RequestsPerSecond
from fusionhub.errors import ValidationError
from fusionhub.registry import PluginStatus, Registry
from fusionhub_printify.config import ShopConfig
from fusionhub_printify.plugin import fusionhub_manifest as manifest

EXPECTED = {
    "list_products": "native",
    "get_product": "native",
    "create_product": "workaround",
    "update_product": "workaround",
    "delete_product": "native",
    "bulk_update": "workaround",
    "sync_inventory": "native",
    "get_inventory": "native",
    "update_variant_inventory": "native",
    "list_orders": "native",
    "get_order": "native",
    "update_order_status": "native",
    "process_refund": "unsupported",
    "webhooks": "native",
    "bulk_operations": "workaround",
}


def test_entry_point_loads_the_plugin_with_the_declared_levels() -> None:
    record = Registry.discover(allow={"printify"}).platform("printify")
    assert record.status is PluginStatus.LOADED
    assert record.distribution == "fusionhub-printify"
    assert record.manifest is not None and record.manifest.levels() == EXPECTED


def test_constraints_are_the_specifications_budget_shared_per_account_within_reality() -> None:
    constraints = manifest().constraints
    limit = constraints.rate_limit
    assert isinstance(limit, RequestsPerSecond)
    assert (limit.requests, limit.window, limit.window_burst, limit.scope) == (5, 1, 1, "credential:access_token")
    classes = {name: (c.requests, c.window, c.capacity) for name, c in limit.endpoint_classes.items()}
    assert classes == {"catalog": (100, 60, 1), "publishing": (200, 1800, 1)}
    assert limit.rate * 60 <= constraints.platform_specific["account_requests_per_minute"] / 2
    assert constraints.batch_size == 1 and constraints.platform_specific["product_creation_limited_to_templates"]


def test_workarounds_and_the_unsupported_refund_explain_themselves() -> None:
    m = manifest()
    for capability in (Capability.CREATE_PRODUCT, Capability.UPDATE_PRODUCT, Capability.BULK_UPDATE):
        assert m.contract(capability).workaround is not None
    assert "blueprint" in (m.contract(Capability.CREATE_PRODUCT).workaround.description or "")  # type: ignore[union-attr]
    assert "8252" in (m.contract(Capability.UPDATE_PRODUCT).workaround.description or "")  # type: ignore[union-attr]
    assert m.contract(Capability.BULK_UPDATE).fan_out is Capability.UPDATE_PRODUCT
    refund = m.contract(Capability.PROCESS_REFUND)
    assert "no refund endpoint" in (refund.explanation or "") and refund.manual_workaround


def test_the_config_schema_is_closed_and_names_no_host() -> None:
    schema = manifest().config_schema
    assert schema["additionalProperties"] is False and schema["required"] == ["shop_id"]
    assert set(schema["properties"]) == {"shop_id", "currency", "webhook_max_age_seconds"}
    assert not any("url" in name or "host" in name for name in schema["properties"])


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({}, "config.shop_id"),
        ({"shop_id": "abc"}, "config.shop_id"),
        ({"shop_id": 0}, "config.shop_id"),
        ({"shop_id": True}, "config.shop_id"),
        ({"shop_id": 7, "currency": "usd"}, "config.currency"),
        ({"shop_id": 7, "webhook_max_age_seconds": -1}, "config.webhook_max_age_seconds"),
    ],
)
def test_a_bad_store_config_names_its_field(config: dict[str, object], loc: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ShopConfig.of(config)
    assert refused.value.errors[0]["loc"] == loc


def test_a_shop_id_may_be_given_as_digits() -> None:
    assert ShopConfig.of({"shop_id": "8806001"}).shop_id == 8_806_001
    assert ShopConfig.of({"shop_id": 8_806_001, "currency": "EUR"}).currency == "EUR"
