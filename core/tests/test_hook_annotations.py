"""A capability hook annotated with another capability's params or result model is refused when
the plugin loads, naming the hook, what it says and what it should say."""

from __future__ import annotations

import types
from typing import Any

import pytest

from fusionhub.plugin import InventoryLevels, Page, Product, StoreContext, hookimpl
from fusionhub.plugin import params as p
from fusionhub.registry import PluginStatus, Registry

example_plugin = pytest.importorskip("fusionhub_example.plugin")


def example_with(**hooks: Any) -> types.ModuleType:
    module = types.ModuleType("fusionhub_example_variant")
    module.__dict__.update({k: v for k, v in vars(example_plugin).items() if k.startswith("fusionhub_")})
    module.__dict__.update({name: hookimpl(fn) for name, fn in hooks.items()})
    return module


async def wrong_params(ctx: StoreContext, params: p.GetProductParams) -> Page[Product]:
    raise AssertionError("never called")


async def wrong_result(ctx: StoreContext, params: p.ListProductsParams) -> InventoryLevels:
    raise AssertionError("never called")


async def loose(ctx: StoreContext, params: Any) -> Page[Product] | None:
    raise AssertionError("never called")


def load(module: types.ModuleType) -> Any:
    return Registry(strict=False).add(module, "example")


def test_the_wrong_params_model_is_refused_at_load_time() -> None:
    record = load(example_with(fusionhub_list_products=wrong_params))
    assert record.status is PluginStatus.FAILED
    assert record.error == (
        "hook annotation does not match its capability: "
        "fusionhub_list_products(params: GetProductParams) takes ListProductsParams"
    )
    assert "annotate each capability hook with its capability's params and result models" in record.hint


def test_the_wrong_result_model_is_refused_at_load_time() -> None:
    record = load(example_with(fusionhub_list_products=wrong_result))
    assert record.status is PluginStatus.FAILED
    assert "fusionhub_list_products -> InventoryLevels returns Page[Product]" in record.error


def test_any_and_optional_annotations_pass() -> None:
    assert load(example_with(fusionhub_list_products=loose)).status is PluginStatus.LOADED
    assert load(example_with()).status is PluginStatus.LOADED


async def plain_data(ctx: StoreContext, params: p.ListProductsParams) -> dict[str, Any]:
    raise AssertionError("never called")


def test_a_result_as_plain_data_passes() -> None:
    """The hub validates a returned dict into the result model, so a hook may say it returns one."""
    assert load(example_with(fusionhub_list_products=plain_data)).status is PluginStatus.LOADED
