"""The specification's constraint blocks parse into the contract models unchanged."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from fusionhub import Capability, CapabilityContract, Constraints, Level, PluginManifest
from fusionhub.contracts import CostBased, Dynamic, RequestsPerMinute, RequestsPerSecond

# Copied verbatim from the specification's plugin sections.
SPEC_BLOCKS = {
    "shopify": """{
  "rate_limit": {"type": "cost_based", "max_cost": 1000, "restore_rate": 50, "per_second": true},
  "batch_size": 250,
  "max_variants_per_product": 100
}""",
    "etsy": """{
  "rate_limit": {"type": "requests_per_second", "requests": 10, "window": 1},
  "batch_size": 1,
  "max_images_per_listing": 10,
  "polling_interval": 300
}""",
    "amazon": """{
  "rate_limit": {"type": "dynamic", "varies_by_endpoint": true},
  "batch_size": 10000,
  "feed_processing_time": "5-30 minutes",
  "requires_amazon_approval": true
}""",
    "printify": """{
  "rate_limit": {"type": "requests_per_second", "requests": 5, "window": 1},
  "batch_size": 1,
  "product_creation_limited_to_templates": true
}""",
    "gumroad": """{
  "rate_limit": {"type": "requests_per_minute", "requests": 60, "window": 60},
  "batch_size": 1,
  "product_types": ["digital_only"]
}""",
}

EXPECTED_TYPES = {
    "shopify": CostBased,
    "etsy": RequestsPerSecond,
    "amazon": Dynamic,
    "printify": RequestsPerSecond,
    "gumroad": RequestsPerMinute,
}


@pytest.mark.parametrize("platform", sorted(SPEC_BLOCKS))
def test_specification_blocks_parse_unchanged(platform: str) -> None:
    raw = json.loads(SPEC_BLOCKS[platform])
    constraints = Constraints.model_validate(raw)
    assert isinstance(constraints.rate_limit, EXPECTED_TYPES[platform])
    dumped = constraints.model_dump(exclude_none=True, exclude_defaults=False)
    # Every key and value the specification wrote survives a round trip.
    for key, value in raw.items():
        if key == "rate_limit":
            for rk, rv in value.items():
                assert dumped["rate_limit"][rk] == rv
        else:
            assert dumped[key] == value


def test_platform_specific_keys_are_kept() -> None:
    c = Constraints.model_validate(json.loads(SPEC_BLOCKS["amazon"]))
    assert c.platform_specific == {"feed_processing_time": "5-30 minutes", "requires_amazon_approval": True}


def test_bare_number_rate_limit_of_the_sql_example() -> None:
    c = Constraints.model_validate({"rate_limit": 100})
    assert isinstance(c.rate_limit, RequestsPerSecond)
    assert c.rate_limit.rate == 100


def test_unknown_rate_limit_type_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        Constraints.model_validate({"rate_limit": {"type": "per_fortnight", "requests": 1}})
    assert "rate_limit" in str(err.value)


def test_workaround_and_unsupported_must_explain_themselves() -> None:
    with pytest.raises(ValidationError, match="describe its workaround"):
        CapabilityContract(level=Level.WORKAROUND)
    with pytest.raises(ValidationError, match="explanation"):
        CapabilityContract(level=Level.UNSUPPORTED)
    ok = CapabilityContract.model_validate(
        {"level": "workaround", "workaround": {"description": "loop", "steps": ["a"], "estimatedTime": 100}}
    )
    assert ok.workaround is not None and ok.workaround.estimated_time_ms == 100


def _manifest(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "slug": "woo",
        "name": "WooCommerce",
        "version": "1.0.0",
        "api": "REST v3",
        "auth": "api_key",
        "capabilities": {"list_products": {"level": "native"}},
    }
    base.update(over)
    return base


def test_manifest_fills_undeclared_capabilities_as_unsupported() -> None:
    m = PluginManifest.model_validate(_manifest())
    assert list(m.capabilities) == list(Capability)
    assert m.contract("webhooks").level is Level.UNSUPPORTED
    assert m.contract(Capability.LIST_PRODUCTS).level is Level.NATIVE


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("slug", "Woo Commerce", "slug"),
        ("version", "one", "version"),
        ("core_api", "~~1", "core_api"),
        ("auth", "magic", "auth"),
        ("capabilities", {"teleport": {"level": "native"}}, "capabilities"),
    ],
)
def test_manifest_errors_name_the_field(field: str, value: object, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        PluginManifest.model_validate(_manifest(**{field: value}))
    assert fragment in str(err.value)


def test_capability_constraints_override_plugin_constraints() -> None:
    m = PluginManifest.model_validate(
        _manifest(
            constraints={"batch_size": 1, "max_retries": 3},
            capabilities={"list_products": {"level": "native", "constraints": {"batch_size": 100}}},
        )
    )
    merged = m.constraints_for("list_products")
    assert merged.batch_size == 100 and merged.max_retries == 3


def test_core_api_range() -> None:
    assert PluginManifest.model_validate(_manifest(core_api=">=1.0,<2")).supports_core()
    assert not PluginManifest.model_validate(_manifest(core_api=">=2")).supports_core()
