"""The platforms' limits in the params models: each refusal names its field before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from fusionhub.capabilities import Capability, spec_of
from fusionhub.errors import ValidationError
from fusionhub.params import MAX_DEPTH, parse_params

LONG = "x" * 256
HUGE = "y" * 65_536


def refused(capability: str, params: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_params(spec_of(capability).params, params)
    return {e["loc"]: e["msg"] for e in caught.value.errors}


@pytest.mark.parametrize(
    ("capability", "params", "loc", "why"),
    [
        ("create_product", {"product": {"title": LONG}}, "params.product.title", "at most 255"),
        ("create_product", {"product": {"title": "t", "tags": ["ok", LONG]}}, "params.product.tags.1", "at most 255"),
        ("create_product", {"product": {"title": "t", "description": HUGE}}, "params.product.description", "65,535"),
        (
            "create_product",
            {"product": {"title": "t", "variants": [{"sku": "A", "inventory_quantity": -1}]}},
            "params.product.variants.0",
            "inventory_quantity must be between 0",
        ),
        (
            "create_product",
            {"product": {"title": "t", "variants": [{"sku": LONG}]}},
            "params.product.variants.0",
            "sku is longer than 255",
        ),
        (
            "update_product",
            {"product_id": "1", "changes": {"variants": [{"id": "v", "inventory_quantity": -5}]}},
            "params.changes.variants.0",
            "inventory_quantity",
        ),
        (
            "update_variant_inventory",
            {"target": {"sku": "A", "quantity": -1}},
            "params.target.quantity",
            "greater than",
        ),
        (
            "update_variant_inventory",
            {"target": {"sku": "A", "quantity": 2**31}},
            "params.target.quantity",
            "less than",
        ),
        ("sync_inventory", {"levels": [{"sku": "A", "quantity": -3}]}, "params.levels.0.quantity", "greater than"),
        (
            "process_refund",
            {"order_id": "1", "lines": [{"line_id": "l", "quantity": 0}]},
            "params.lines.0.quantity",
            "",
        ),
        ("get_product", {"product_id": LONG}, "params.product_id", "at most 255"),
        ("get_inventory", {"skus": [""]}, "params.skus.0", "at least 1"),
        (
            "webhooks",
            {"action": "subscribe", "topics": ["t"], "callback_url": "javascript:alert(1)"},
            "params.callback_url",
            "",
        ),
        (
            "update_order_status",
            {"order_id": "1", "action": "ship", "tracking": {"number": LONG}},
            "params.tracking.number",
            "",
        ),
        # Free-form fields are bounded too: no text over 65,535 characters anywhere.
        (
            "create_product",
            {"product": {"title": "t", "platform_fields": {"note": HUGE}}},
            "params.product.platform_fields.note",
            "65,535",
        ),
        ("bulk_operations", {"options": {"q": HUGE}}, "params.options.q", "65,535"),
        ("list_products", {"query": HUGE}, "params.query", "65,535"),
    ],
)
def test_limits_name_the_field(capability: str, params: Any, loc: str, why: str) -> None:
    errors = refused(capability, params)
    assert loc in errors, errors
    assert why in errors[loc]


def test_nesting_beyond_the_limit_is_refused_without_recursing_into_it() -> None:
    nested: Any = "x"
    for _ in range(10_000):  # far beyond Python's recursion limit: refused at MAX_DEPTH, not crashed
        nested = [nested]
    errors = refused("bulk_operations", {"options": {"deep": nested}})
    [(loc, why)] = errors.items()
    assert loc.startswith("params.options.deep") and f"{MAX_DEPTH} levels" in why


@pytest.mark.parametrize("params", [[1], "x", 3, True])
def test_params_that_are_not_an_object(params: Any) -> None:
    assert refused("get_product", params) == {"params": f"must be an object, not {type(params).__name__}"}


def test_what_the_platforms_accept_still_passes() -> None:
    parse_params(
        spec_of(Capability.CREATE_PRODUCT).params,
        {
            "product": {
                "title": "t" * 255,
                "description": "d" * 65_535,
                "tags": ["g" * 255],
                "variants": [{"sku": "s" * 255, "inventory_quantity": 0}],
            }
        },
    )
    parse_params(spec_of(Capability.UPDATE_VARIANT_INVENTORY).params, {"target": {"sku": "A", "quantity": 2**31 - 1}})
