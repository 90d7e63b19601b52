"""A plugin without a manifest wraps capability hooks (`wrapper=True`) and sees every platform's calls.

The tracer fixture (tests/fixtures/plugins/tracer) is installed like the other fixtures; it wraps
all fifteen capability hooks and records each call's platform, params, ctx, and result or error.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from click.testing import CliRunner

from fusionhub import Capability, FusionHubError, Registry
from fusionhub.cli import cli
from fusionhub.models import BulkResult, Product
from fusionhub.parked import Parked
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT, PluginKind, PluginStatus
from fusionhub.testing.harness import sandbox_run

PLATFORMS = ("shopify", "etsy")
MISSING = {"shopify": "gid://shopify/Product/987654321", "etsy": "987654321"}


@pytest.fixture
def traced() -> deque[Any]:
    from fusionhub_fixture_tracer.plugin import CALLS

    CALLS.clear()
    return CALLS


@pytest.mark.parametrize("slug", PLATFORMS)
def test_the_tracer_sees_params_ctx_result_and_exception(slug: str, traced: deque[Any]) -> None:
    registry = Registry.discover(allow={slug, "tracer"}, strict=True)
    tracer = next(r for r in registry.records if r.name == "tracer")
    assert tracer.status is PluginStatus.LOADED and tracer.kind is PluginKind.OBSERVER
    assert "fusionhub_get_product" in tracer.wrappers and not tracer.impls
    run = sandbox_run(slug, registry=registry)
    params = run.sandbox.sample_params(Capability.GET_PRODUCT)
    assert params is not None

    async def main() -> tuple[Any, FusionHubError]:
        try:
            found = (await run.execute("get_product", params)).value
            with pytest.raises(FusionHubError) as err:
                await run.execute("get_product", {"product_id": MISSING[slug]})
            return found, err.value
        finally:
            await run.aclose()

    found, error = run.clock.run(main())
    ok, failed = traced
    assert (ok.platform, ok.capability, ok.params.product_id) == (slug, "get_product", params["product_id"])
    assert ok.ctx.store is run.store and ok.ctx.capability is Capability.GET_PRODUCT
    assert isinstance(ok.result, Product) and ok.result.id == found.id and ok.error is None
    assert (failed.platform, failed.params.product_id, failed.result) == (slug, MISSING[slug], None)
    assert failed.error is error and error.category.value == "not_found"


def test_the_tracer_sees_every_platforms_calls_during_the_demo(traced: deque[Any]) -> None:
    env = {ENV_LOAD: ",".join((*PLATFORMS, "tracer")), ENV_DISABLE: None, ENV_STRICT: None, "COLUMNS": "250"}
    result = CliRunner().invoke(cli, ["demo", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    seen = {(call.platform, call.capability) for call in traced}
    for slug in PLATFORMS:
        for capability in ("list_products", "bulk_update", "sync_inventory"):
            assert (slug, capability) in seen, f"{capability} on {slug} not traced"
    # Etsy's bulk_update is core's declared fan-out: in the worker it parks, then returns the aggregate.
    etsy_bulk = [c for c in traced if (c.platform, c.capability) == ("etsy", "bulk_update")]
    assert isinstance(etsy_bulk[0].error, Parked) and etsy_bulk[0].result is None
    assert isinstance(etsy_bulk[-1].result, BulkResult) and etsy_bulk[-1].result.succeeded == 3
    assert ("etsy", "update_product") in seen  # its child jobs, one per item
