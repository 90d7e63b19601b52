"""The execution gate: refuse without I/O, validate, dispatch to one platform only, validate, report."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from fusionhub import (
    AutomationDisabled,
    Capability,
    CapabilityUnsupported,
    HttpConfig,
    Hub,
    Level,
    PlatformError,
    Registry,
    RunMode,
    Store,
    StoreContext,
    ValidationError,
    hookimpl,
)
from fusionhub import params as p
from fusionhub.models import BulkResult, Page, Product
from fusionhub.observability.records import CapabilityCall

NATIVE = {"level": "native"}
REFUND_EXPLANATION = "Refunds happen at the bank, which has no API."
REFUND_MANUAL = "Refund in the bank's portal."


def manifest(slug: str, **capabilities: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug.title(), "version": "1.0.0", "api": "test", "auth": "api_key"} | {
        "capabilities": capabilities
    }


class Platform:
    """A platform plugin speaking HTTP to https://<slug>.test/api; it counts its own hook calls."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.calls: list[str] = []

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        return HttpConfig(base_url=f"https://{self.slug}.test/api", headers={"X-Key": store.credentials["key"]})

    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: p.GetProductParams) -> Product:
        self.calls.append("get_product")
        response = await ctx.http.get(f"/products/{params.product_id}")
        return Product(id=params.product_id, platform=self.slug, title=response.json()["title"])


class Alpha(Platform):
    def __init__(self) -> None:
        super().__init__("alpha")

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest(
            "alpha",
            get_product=NATIVE,
            list_products=NATIVE,
            update_product=NATIVE,
            delete_product={"level": "native", "automation_enabled": False},
            bulk_update={"level": "workaround", "workaround": {"description": "one update_product per item"}},
            process_refund={
                "level": "unsupported",
                "explanation": REFUND_EXPLANATION,
                "manual_workaround": REFUND_MANUAL,
            },
        )

    @hookimpl
    async def fusionhub_list_products(self, ctx: StoreContext, params: p.ListProductsParams) -> Any:
        self.calls.append("list_products")
        if params.query == "garbage":
            return {"items": [{"id": "p1"}]}  # no platform, no title
        if params.cursor == "c2":  # the second and last page
            return {"items": [{"id": "p2", "platform": "alpha", "title": "Cup"}], "next_cursor": None}
        return {"items": [{"id": "p1", "platform": "alpha", "title": "Mug"}], "next_cursor": "c2"}

    @hookimpl
    async def fusionhub_update_product(self, ctx: StoreContext, params: p.UpdateProductParams) -> Product:
        self.calls.append("update_product")
        if params.changes.title == "explode":
            raise KeyError(f"token {ctx.credentials['key']} not accepted")  # a careless plugin bug
        return Product(id=params.product_id, platform="alpha", title=params.changes.title or "")

    @hookimpl
    async def fusionhub_delete_product(self, ctx: StoreContext, params: p.DeleteProductParams) -> dict[str, Any]:
        self.calls.append("delete_product")
        response = await ctx.http.delete(f"/products/{params.product_id}")
        response.raise_for_status()
        return {"product_id": params.product_id, "permanent": params.permanent}

    @hookimpl
    async def fusionhub_bulk_update(self, ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
        assert ctx.fan_out is not None
        items = [item.model_dump(mode="json", exclude_unset=True) for item in params.items]
        return await ctx.fan_out(Capability.UPDATE_PRODUCT, items)


class Beta(Platform):
    def __init__(self) -> None:
        super().__init__("beta")

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest("beta", get_product=NATIVE)


class Spy:
    """An observer-only plugin."""

    def __init__(self) -> None:
        self.calls: list[CapabilityCall] = []

    @hookimpl
    def fusionhub_on_capability_call(self, call: CapabilityCall) -> None:
        self.calls.append(call)


SECRET = "alpha-key-5f1c9e0b7d3a"


@pytest.fixture
def plugins() -> dict[str, Any]:
    return {"alpha": Alpha(), "beta": Beta(), "spy": Spy()}


@pytest.fixture
def hub(plugins: dict[str, Any]) -> Hub:
    registry = Registry(allow=None, deny=())
    for name, obj in plugins.items():
        assert registry.add(obj, name).status.value == "loaded"
    return Hub(registry)


@pytest.fixture
def alpha(hub: Hub) -> Store:
    store = Store(platform="alpha", credentials={"key": SECRET})
    hub.connect(store)
    return store


@pytest.fixture
def beta(hub: Hub) -> Store:
    store = Store(platform="beta", credentials={"key": "beta-key-0a8e77c2"})
    hub.connect(store)
    return store


@pytest.fixture
def api() -> Any:
    """Every request to the platforms is mocked: anything unrouted fails the test."""
    with respx.mock(assert_all_called=False) as router:
        router.get("https://alpha.test/api/products/p1").respond(json={"title": "Mug"})
        router.get("https://beta.test/api/products/p1").respond(json={"title": "Cup"})
        router.delete("https://alpha.test/api/products/p1").respond(204)
        yield router


async def test_unsupported_raises_with_explanation_and_manual_workaround_without_any_request(
    hub: Hub, alpha: Store, api: Any, plugins: dict[str, Any]
) -> None:
    with pytest.raises(CapabilityUnsupported) as err:
        await hub.execute(alpha, "process_refund", {"order_id": "o1"})
    assert api.calls.call_count == 0
    assert err.value.explanation == REFUND_EXPLANATION
    assert err.value.manual_workaround == REFUND_MANUAL
    assert REFUND_EXPLANATION in str(err.value) and REFUND_MANUAL in str(err.value)
    assert err.value.to_dict()["category"] == "unsupported" and err.value.platform == "alpha"
    # The gate comes first: even params that would not validate get the same answer, still no request.
    with pytest.raises(CapabilityUnsupported):
        await hub.execute(alpha, Capability.PROCESS_REFUND, {"bogus": True})
    # A capability never declared is unsupported too.
    with pytest.raises(CapabilityUnsupported, match="does not declare"):
        await hub.execute(alpha, "webhooks")
    assert api.calls.call_count == 0 and plugins["alpha"].calls == []
    # The control: the same mock does see a supported call's request.
    await hub.execute(alpha, "get_product", {"product_id": "p1"})
    assert api.calls.call_count == 1


async def test_automation_disabled_is_refused_for_automated_runs_only(hub: Hub, alpha: Store, api: Any) -> None:
    with pytest.raises(AutomationDisabled) as err:
        await hub.execute(alpha, "delete_product", {"product_id": "p1"}, mode=RunMode.AUTOMATED)
    assert api.calls.call_count == 0
    assert "delete_product on alpha is disabled for automated runs by the alpha plugin's contract" in str(err.value)
    assert err.value.category.value == "refused"
    assert err.value.details == {"capability": "delete_product", "source": "contract"}
    outcome = await hub.execute(alpha, "delete_product", {"product_id": "p1"}, mode=RunMode.INTERACTIVE)
    assert outcome.value.product_id == "p1" and api.calls.call_count == 1
    # The host's choice overrides the contract's default, both ways.
    hub.set_automation("alpha", "delete_product", True)
    await hub.execute(alpha, "delete_product", {"product_id": "p1"}, mode=RunMode.AUTOMATED)
    hub.set_automation("alpha", "get_product", False)
    with pytest.raises(AutomationDisabled, match="disabled for automated runs by the host's settings"):
        await hub.execute(alpha, "get_product", {"product_id": "p1"}, mode=RunMode.AUTOMATED)


async def test_params_are_validated_with_field_paths_before_the_plugin_runs(
    hub: Hub, alpha: Store, api: Any, plugins: dict[str, Any]
) -> None:
    bad = {"product_id": "", "changes": {"price": {"amount": "-1", "currency": "usd"}}, "bogus": 1}
    with pytest.raises(ValidationError) as err:
        await hub.execute(alpha, "update_product", bad)
    locs = {e["loc"] for e in err.value.errors}
    assert {"params.product_id", "params.changes.price.amount", "params.changes.price.currency", "params.bogus"} <= (
        locs
    )
    assert "params.changes.price.currency" in str(err.value)
    with pytest.raises(ValidationError) as unknown:
        await hub.execute(alpha, "teleport_product", {})
    assert unknown.value.errors == [{"loc": "capability", "msg": "unknown capability 'teleport_product'"}]
    assert plugins["alpha"].calls == [] and api.calls.call_count == 0
    # A params model instance is taken as it is.
    outcome = await hub.execute(alpha, "get_product", p.GetProductParams(product_id="p1"))
    assert outcome.value.title == "Mug"


async def test_dispatch_reaches_only_the_store_platforms_hookimpl(
    hub: Hub, alpha: Store, beta: Store, api: Any, plugins: dict[str, Any]
) -> None:
    a, b = plugins["alpha"], plugins["beta"]
    assert (await hub.execute(alpha, "get_product", {"product_id": "p1"})).value.title == "Mug"
    assert (a.calls, b.calls) == (["get_product"], [])
    assert (await hub.execute(beta, "get_product", {"product_id": "p1"})).value.platform == "beta"
    assert (a.calls, b.calls) == (["get_product"], ["get_product"])
    # Beta declares nothing else: alpha's hookimpls are never a fallback.
    with pytest.raises(CapabilityUnsupported):
        await hub.execute(beta, "list_products")
    assert a.calls == ["get_product"]


async def test_results_are_validated_and_normalized(hub: Hub, alpha: Store) -> None:
    outcome = await hub.execute(alpha, "list_products", {})
    assert isinstance(outcome.value, Page) and isinstance(outcome.value.items[0], Product)
    assert outcome.value.next_cursor == "c2"
    with pytest.raises(PlatformError) as err:
        await hub.execute(alpha, "list_products", {"query": "garbage"})
    assert "returned an invalid list_products result" in str(err.value)
    assert "items.0.platform" in str(err.value) and "items.0.title" in str(err.value)


async def test_iterate_streams_every_item_across_pages(hub: Hub, alpha: Store) -> None:
    titles = [product.title async for product in hub.iterate(alpha, "list_products", {"limit": 1})]
    assert titles == ["Mug", "Cup"]
    with pytest.raises(ValidationError, match="does not return pages"):
        [x async for x in hub.iterate(alpha, "get_product", {"product_id": "p1"})]


async def test_a_workaround_reports_that_it_ran_as_one(hub: Hub, alpha: Store, api: Any) -> None:
    items = [{"product_id": f"p{n}", "changes": {"title": f"T{n}"}} for n in range(3)]
    outcome = await hub.execute(alpha, "bulk_update", {"items": items})
    assert outcome.level is Level.WORKAROUND and outcome.ran_as_workaround
    assert outcome.workaround is not None and outcome.workaround.description == "one update_product per item"
    assert (outcome.value.total, outcome.value.succeeded, outcome.value.failed) == (3, 3, 0)
    assert [i.result["title"] for i in outcome.value.items if i.result] == ["T0", "T1", "T2"]
    native = await hub.execute(alpha, "get_product", {"product_id": "p1"})
    assert native.level is Level.NATIVE and not native.ran_as_workaround and native.workaround is None


async def test_a_plugin_bug_becomes_a_platform_error_without_the_secret_and_the_host_goes_on(
    hub: Hub, alpha: Store, api: Any
) -> None:
    with pytest.raises(PlatformError) as err:
        await hub.execute(alpha, "update_product", {"product_id": "p1", "changes": {"title": "explode"}})
    text = f"{err.value} {err.value!r} {err.value.to_dict()}"
    assert "plugin alpha failed in update_product: KeyError" in text
    assert SECRET not in text and "[redacted]" in text
    assert err.value.__cause__ is None and err.value.__suppress_context__
    # Inside a bulk workaround the same bug fails one item, not the batch.
    items = [{"product_id": "p1", "changes": {"title": "explode"}}, {"product_id": "p2", "changes": {"title": "ok"}}]
    bulk = await hub.execute(alpha, "bulk_update", {"items": items})
    assert [i.ok for i in bulk.value.items] == [False, True] and bulk.value.items[0].error_category == "platform"
    assert [i.key for i in bulk.value.items] == ["p1", "p2"]  # each item named by its product
    assert SECRET not in str(bulk.value)
    assert (await hub.execute(alpha, "get_product", {"product_id": "p1"})).value.title == "Mug"


async def test_observers_hear_about_every_capability_call(
    hub: Hub, alpha: Store, api: Any, plugins: dict[str, Any]
) -> None:
    await hub.execute(alpha, "get_product", {"product_id": "p1"})
    with pytest.raises(PlatformError):
        await hub.execute(alpha, "list_products", {"query": "garbage"})
    seen = [(c.plugin, c.capability, c.level, c.ok, c.error_category, c.mode) for c in plugins["spy"].calls]
    assert seen == [
        ("alpha", "get_product", "native", True, None, "interactive"),
        ("alpha", "list_products", "native", False, "platform", "interactive"),
    ]


async def test_a_store_must_be_connected_and_its_platform_loaded(hub: Hub) -> None:
    with pytest.raises(PlatformError, match="not connected"):
        await hub.execute(Store(platform="alpha", id="s-1"), "get_product", {"product_id": "p1"})
    with pytest.raises(Exception, match="no loaded plugin for platform 'gamma'"):
        hub.connect(Store(platform="gamma"))
    assert hub.manifest("alpha").contract("delete_product").automation_enabled is False


def test_only_an_instance_of_exactly_the_result_model_skips_validation() -> None:
    from fusionhub.capabilities import CAPABILITY_SPECS
    from fusionhub.hub import _MODEL_RESULTS

    # Every capability's result is a model class: the per-call check is `type(raw) is` that class.
    assert {cap: spec.result for cap, spec in CAPABILITY_SPECS.items()} == _MODEL_RESULTS
    product = Product(id="p1", platform="alpha", title="Mug")
    assert type(product) is _MODEL_RESULTS[Capability.GET_PRODUCT]
    # Anything else is validated: a dict, and a model instance of another type.
    validated = Hub._result(Product, {"id": "p1", "platform": "alpha", "title": "Mug"}, "alpha", Capability.GET_PRODUCT)
    assert validated == product and type(validated) is Product
    with pytest.raises(PlatformError, match="returned an invalid get_product result"):
        Hub._result(Product, Page[Product](items=[]), "alpha", Capability.GET_PRODUCT)
