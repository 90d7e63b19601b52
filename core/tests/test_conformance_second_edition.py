"""The conformance kit's second edition catches what a passing call can still get wrong: each
mistake, made on purpose in the example plugin, fails its check with a message naming the fix."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.capabilities import Capability
from fusionhub.plugin import Page, Product, StoreContext, hookimpl
from fusionhub.plugin import params as p
from fusionhub.testing.conformance import MissingKitDependency, conformance_suite, no_network

example_plugin = pytest.importorskip("fusionhub_example.plugin")
example_sandbox = pytest.importorskip("fusionhub_example.sandbox")


def suite() -> Any:
    return conformance_suite("example")()


def replace_hook(monkeypatch: pytest.MonkeyPatch, name: str, impl: Callable[..., Any]) -> None:
    monkeypatch.setattr(example_plugin, name, hookimpl(impl))


def test_the_example_passes_every_new_check() -> None:
    kit = suite()
    kit.test_sandbox_store_satisfies_the_config_schema()
    kit.test_paging_honours_limit_and_cursor_and_ends(Capability.LIST_PRODUCTS)
    kit.test_paging_honours_limit_and_cursor_and_ends(Capability.LIST_ORDERS)
    kit.test_list_products_honours_status()
    kit.test_writes_are_visible_afterwards()


def test_a_list_ignoring_limit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = example_plugin.fusionhub_list_products

    async def ignores_limit(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
        return await original(ctx, params.model_copy(update={"limit": 50}))

    replace_hook(monkeypatch, "fusionhub_list_products", ignores_limit)
    with pytest.raises(AssertionError, match=r"list_products gave 3 items for limit=1: send params.limit"):
        suite().test_paging_honours_limit_and_cursor_and_ends(Capability.LIST_PRODUCTS)


def test_a_list_ignoring_the_cursor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = example_plugin.fusionhub_list_products

    async def ignores_cursor(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
        return await original(ctx, params.model_copy(update={"cursor": None}))

    replace_hook(monkeypatch, "fusionhub_list_products", ignores_cursor)
    with pytest.raises(AssertionError, match=r"list_products returned the cursor it was given: paging never ends"):
        suite().test_paging_honours_limit_and_cursor_and_ends(Capability.LIST_PRODUCTS)


def test_a_list_ignoring_status_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = example_plugin.fusionhub_list_products

    async def ignores_status(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
        return await original(ctx, params.model_copy(update={"status": None}))

    monkeypatch.setattr(example_sandbox.ExampleSandbox, "sample_params", _with_a_draft)
    replace_hook(monkeypatch, "fusionhub_list_products", ignores_status)
    with pytest.raises(AssertionError, match=r"list_products\(status='active'\) returned products .* another status"):
        suite().test_list_products_honours_status()


def _with_a_draft(self: Any, capability: Capability) -> dict[str, Any] | None:
    self.products[next(iter(self.products))]["state"] = "draft"
    return {"limit": 50} if capability is Capability.LIST_PRODUCTS else None


def test_an_update_that_changes_nothing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    async def changes_nothing(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
        return await example_plugin.fusionhub_get_product(ctx, p.GetProductParams(product_id=params.product_id))

    replace_hook(monkeypatch, "fusionhub_update_product", changes_nothing)
    with pytest.raises(AssertionError, match=r"update_product set title, but get_product reads .*send the change"):
        suite().test_writes_are_visible_afterwards()


def test_a_delete_that_leaves_the_product_active_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    async def deletes_nothing(ctx: StoreContext, params: p.DeleteProductParams) -> Any:
        from fusionhub.plugin import DeleteResult

        return DeleteResult(product_id=params.product_id, permanent=params.permanent)

    replace_hook(monkeypatch, "fusionhub_delete_product", deletes_nothing)
    with pytest.raises(AssertionError, match=r"delete_product, get_product still reads the product as draft"):
        suite().test_writes_are_visible_afterwards()


def test_a_sandbox_store_outside_the_config_schema_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(example_sandbox.ExampleSandbox, "store_config", lambda self: {"url": "x"})
    with pytest.raises(AssertionError, match=r"store_config\(\) breaks the manifest's config_schema: .*base_url"):
        suite().test_sandbox_store_satisfies_the_config_schema()


def test_without_respx_the_kit_refuses_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "respx", None)
    with pytest.raises(MissingKitDependency, match=r"needs respx .* pip install 'fusionhub\[testing\]'"):
        conformance_suite("example")
    with pytest.raises(MissingKitDependency), no_network():
        pass


def test_a_sandbox_enforcing_no_limit_fails() -> None:
    kit = conformance_suite("example", options={"rate": 1e9, "burst": 10**9})()
    with pytest.raises(AssertionError, match=r"requests at one instant were all accepted: make the example sandbox"):
        kit.test_the_sandbox_enforces_a_rate_limit()
    conformance_suite("example")().test_the_sandbox_enforces_a_rate_limit()


def test_webhook_intake_that_accepts_any_signature_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    printify = pytest.importorskip("fusionhub_printify.plugin")
    from fusionhub.plugin import Event, EventType

    async def trusts_everyone(store: Any, headers: Any, body: bytes) -> list[Event]:
        return [Event(platform="printify", type=EventType.OTHER, delivery_id="d-1", topic="order:created")]

    conformance_suite("printify")().test_webhook_deliveries_are_verified()  # the real intake passes
    monkeypatch.setattr(printify, "fusionhub_parse_webhook", hookimpl(trusts_everyone))
    with pytest.raises(AssertionError, match=r"accepted a delivery signed with another secret: verify the signature"):
        conformance_suite("printify")().test_webhook_deliveries_are_verified()


def test_webhook_intake_refusing_a_good_delivery_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = pytest.importorskip("fusionhub_printify.sandbox")
    original = sandbox.PrintifySandbox.signed_delivery

    def signed_elsewhere(self: Any) -> Any:
        good = original(self)
        return type(good)({**good.headers, "x-pfy-signature": "sha256=" + "0" * 64}, good.body)

    monkeypatch.setattr(sandbox.PrintifySandbox, "signed_delivery", signed_elsewhere)
    with pytest.raises(AssertionError, match=r"refused the sandbox's own delivery"):
        conformance_suite("printify")().test_webhook_deliveries_are_verified()


def test_a_capability_that_hangs_in_a_worker_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    original = example_plugin.fusionhub_get_product

    async def waits_forever(ctx: StoreContext, params: p.GetProductParams) -> Product:
        product = await original(ctx, params)
        await asyncio.Event().wait()  # e.g. a second request waiting on something nothing brings
        return product  # type: ignore[no-any-return]

    suite().check_worker(Capability.GET_PRODUCT)  # the real hook completes
    replace_hook(monkeypatch, "fusionhub_get_product", waits_forever)
    with pytest.raises(AssertionError, match=r"get_product did not complete in a worker within 86400 virtual seconds"):
        suite().check_worker(Capability.GET_PRODUCT)
