"""Capability calls go through pluggy, restricted to the store's platform, inside every plugin's wrappers.

Also: a parked fan-out is recorded as parked (neither ok nor failed), and a capability the manifest
declares as a per-item fan-out runs on core's fan-out with no hookimpl.
"""

from __future__ import annotations

import re
import tomllib
import types
from collections.abc import Awaitable, Generator
from pathlib import Path
from typing import Any

import pluggy
import pydantic
import pytest
from cryptography.fernet import Fernet
from runtime_fakes import SLUG, FakePlatform, QueueTestPlugin

from fusionhub import Capability, HttpConfig, Hub, PlatformError, Registry, Store, TransientError, hookimpl
from fusionhub import params as p
from fusionhub.contracts import PluginManifest
from fusionhub.jobs import JobStatus, Worker
from fusionhub.models import Product
from fusionhub.observability import ErrorRateMonitor
from fusionhub.observability.records import Alert, CapabilityCall
from fusionhub.registry import PluginStatus
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url

WORKAROUND = {"description": "one update_product per item"}
GUIDE = Path(__file__).parents[2] / "docs" / "plugin-authoring.md"


def manifest(slug: str, **capabilities: Any) -> dict[str, Any]:
    base = {"slug": slug, "name": slug.title(), "version": "1.0.0", "api": "test", "auth": "none"}
    return base | {"capabilities": capabilities}


class Platform:
    def __init__(self, slug: str, **capabilities: Any) -> None:
        self.slug, self.capabilities = slug, capabilities or {"get_product": {"level": "native"}}

    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest(self.slug, **self.capabilities)

    @hookimpl
    def fusionhub_http_config(self, store: Store) -> HttpConfig:
        return HttpConfig(base_url=f"https://{self.slug}.test/")

    @hookimpl
    async def fusionhub_get_product(self, ctx: Any, params: p.GetProductParams) -> Product:
        if params.product_id == "boom":
            raise LookupError("the plugin's own bug")
        return Product(id=params.product_id, platform=self.slug, title=f"from {self.slug}")


class Fanning(Platform):
    """Declares bulk_update as one update_product per item and writes no loop and no hookimpl for it."""

    def __init__(self) -> None:
        super().__init__(
            "fanning",
            get_product={"level": "native"},
            update_product={"level": "native"},
            bulk_update={"level": "workaround", "workaround": WORKAROUND, "fan_out": "update_product"},
        )

    @hookimpl
    async def fusionhub_update_product(self, ctx: Any, params: p.UpdateProductParams) -> Product:
        if params.product_id.startswith("bad"):
            raise PlatformError("the platform refused it", platform=self.slug)
        return Product(id=params.product_id, platform=self.slug, title=params.changes.title or "")


class Tracer:
    """No manifest; wraps get_product and bulk_update of every platform."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any, Any]] = []

    def _around(self, ctx: Any, params: Any, call: Awaitable[Any]) -> Awaitable[Any]:
        async def traced() -> Any:
            try:
                result = await call
            except BaseException as exc:
                self.seen.append((ctx.store.platform, ctx.capability.value, params, exc))
                raise
            self.seen.append((ctx.store.platform, ctx.capability.value, params, result))
            return result

        return traced()

    @hookimpl(wrapper=True)
    def fusionhub_get_product(self, ctx: Any, params: Any) -> Generator[None, Any, Any]:
        return self._around(ctx, params, (yield))

    @hookimpl(wrapper=True)
    def fusionhub_bulk_update(self, ctx: Any, params: Any) -> Generator[None, Any, Any]:
        return self._around(ctx, params, (yield))


class Breaker:
    """A wrapper that refuses calls before they reach the platform (a circuit breaker), or breaks."""

    def __init__(self) -> None:
        self.mode = "open"

    @hookimpl(wrapper=True)
    def fusionhub_get_product(self, ctx: Any, params: Any) -> Generator[None, Any, Any]:
        if self.mode == "open":
            raise TransientError("circuit open", platform=ctx.store.platform)
        if self.mode == "bug":
            raise ZeroDivisionError("a wrapper bug")
        call = yield

        async def late_bug() -> Any:
            await call
            raise ValueError("a wrapper bug after the call")

        return late_bug() if self.mode == "late" else call


class Spy:
    def __init__(self) -> None:
        self.calls: list[CapabilityCall] = []
        self.alerts: list[Alert] = []

    @hookimpl
    def fusionhub_on_capability_call(self, call: CapabilityCall) -> None:
        self.calls.append(call)

    @hookimpl
    def fusionhub_on_alert(self, alert: Alert) -> None:
        self.alerts.append(alert)


def hub_with(**plugins: Any) -> Hub:
    registry = Registry(allow=None, deny=(), strict=True)
    for name, obj in plugins.items():
        registry.add(obj, name)
    hub = Hub(registry)
    for record in registry.platforms.values():
        hub.connect(Store(platform=record.slug, id=record.slug))
    return hub


async def test_a_wrapper_without_a_manifest_sees_every_platforms_calls() -> None:
    tracer = Tracer()
    hub = hub_with(alpha=Platform("alpha"), beta=Platform("beta"), tracer=tracer)
    assert (await hub.execute("alpha", "get_product", {"product_id": "1"})).value.title == "from alpha"
    assert (await hub.execute("beta", "get_product", {"product_id": "2"})).value.title == "from beta"
    with pytest.raises(PlatformError, match="plugin beta failed in get_product: LookupError"):
        await hub.execute("beta", "get_product", {"product_id": "boom"})
    platforms = [(s[0], s[2].product_id) for s in tracer.seen]
    assert platforms == [("alpha", "1"), ("beta", "2"), ("beta", "boom")]
    assert [type(s[3]).__name__ for s in tracer.seen] == ["Product", "Product", "LookupError"]
    assert tracer.seen[0][3].platform == "alpha"


async def test_a_platform_loaded_later_never_answers_another_platforms_calls() -> None:
    hub = hub_with(alpha=Platform("alpha"))
    assert (await hub.execute("alpha", "get_product", {"product_id": "1"})).value.platform == "alpha"
    hub.registry.add(Platform("beta"), "beta")  # registered last: pluggy would call it first
    hub.connect(Store(platform="beta", id="beta"))
    assert (await hub.execute("alpha", "get_product", {"product_id": "1"})).value.platform == "alpha"
    assert (await hub.execute("beta", "get_product", {"product_id": "1"})).value.platform == "beta"


async def test_wrapper_errors_are_mapped_like_plugin_errors_and_the_host_goes_on() -> None:
    breaker, spy = Breaker(), Spy()
    hub = hub_with(alpha=Platform("alpha"), breaker=breaker, spy=spy)
    with pytest.raises(TransientError, match="circuit open"):  # a wrapper's own taxonomy error passes as it is
        await hub.execute("alpha", "get_product", {"product_id": "1"})
    for mode, fragment in (("bug", "ZeroDivisionError: a wrapper bug"), ("late", "ValueError: a wrapper bug after")):
        breaker.mode = mode
        with pytest.raises(PlatformError, match=f"failed in get_product: {fragment}"):
            await hub.execute("alpha", "get_product", {"product_id": "1"})
    breaker.mode = "closed"
    assert (await hub.execute("alpha", "get_product", {"product_id": "1"})).value.platform == "alpha"
    assert [(c.ok, c.error_category) for c in spy.calls] == [
        (False, "transient"),
        (False, "platform"),
        (False, "platform"),
        (True, None),
    ]


class AnsweringObserver:
    @hookimpl
    async def fusionhub_get_product(self, ctx: Any, params: Any) -> Any:
        return None


class AsyncWrapper:
    @hookimpl(wrapper=True)
    async def fusionhub_get_product(self, ctx: Any, params: Any) -> Any:
        return None


@pytest.mark.parametrize(
    ("plugin", "fragments", "hint"),
    [
        (AnsweringObserver(), ["capability hooks without a manifest", "fusionhub_get_product"], "wrapper=True"),
        (AsyncWrapper(), ["the wrapper fusionhub_get_product must be a generator"], "yields once"),
    ],
)
def test_a_plugin_without_a_manifest_may_only_wrap_capability_hooks(
    plugin: Any, fragments: list[str], hint: str
) -> None:
    registry = Registry(allow=None, deny=(), strict=False)
    record = registry.add(plugin, "observer")
    assert record.status is PluginStatus.FAILED
    assert all(f in (record.error or "") for f in fragments), record.error
    assert hint in (record.hint or "")
    assert not registry.pm.is_registered(plugin)


# --- a parked fan-out --------------------------------------------------------------------------


async def test_a_parked_fan_out_is_recorded_as_parked_not_ok_nor_failed(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "parked.db"))
    await db.ensure_schema()
    registry = Registry(allow=None, deny=())
    registry.add(QueueTestPlugin(rate=100), SLUG)
    spy = Spy()
    registry.add(spy, "spy")
    runtime = Runtime(db, registry=registry, keyring=Keyring([Fernet.generate_key().decode()], "test"))
    # An alarm at the first failure: had the parked call counted as one, it would ring.
    runtime.hub.observer.monitor = ErrorRateMonitor(threshold=0.5, min_calls=1)
    runtime.transport_for = FakePlatform(runtime.clock).transport
    await runtime.register_plugins()
    store = await runtime.stores.add("shop", SLUG, {"api_key": "k"})
    items = [{"product_id": f"p{i}", "changes": {"title": f"T{i}"}} for i in range(3)]
    try:
        job = await runtime.enqueue(store.id, "bulk_update", {"items": items})
        await Worker(runtime, concurrency=1, heartbeat=False).run_until_idle()
        done = await runtime.queue.get(job.id)
        stats = runtime.hub.stats()["capabilities"][f"{SLUG}.bulk_update"]
    finally:
        await runtime.aclose()
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.result["succeeded"] == 3
    bulk = [(c.ok, c.parked, c.error_category) for c in spy.calls if c.capability == "bulk_update"]
    assert bulk == [(False, True, None), (True, False, None)]
    assert (stats["ok"], stats["failed"], stats["parked"], stats["errors"]) == (1, 0, 1, {})
    assert spy.alerts == []


# --- a fan-out declared in the manifest -------------------------------------------------------


async def test_a_declared_fan_out_runs_on_core_with_no_hookimpl_and_wrappers_see_it() -> None:
    tracer = Tracer()
    hub = hub_with(fanning=Fanning(), tracer=tracer)
    record = hub.registry.platform("fanning")
    assert record.status is PluginStatus.LOADED and "fusionhub_bulk_update" not in record.impls
    items = [{"product_id": "a", "changes": {"title": "A"}}, {"product_id": "bad-1", "changes": {"title": "B"}}]
    outcome = await hub.execute("fanning", "bulk_update", {"items": items})
    assert outcome.ran_as_workaround and outcome.workaround is not None
    result = outcome.value
    assert (result.total, result.succeeded, result.failed) == (2, 1, 1)
    assert [(i.key, i.ok, i.error_category) for i in result.items] == [("a", True, None), ("bad-1", False, "platform")]
    assert result.items[0].result["title"] == "A"
    ((platform, capability, params, seen),) = tracer.seen
    assert (platform, capability, len(params.items), seen.total) == ("fanning", "bulk_update", 2, 2)
    counters = hub.stats()["capabilities"]
    assert counters["fanning.update_product"]["calls"] == 2 and counters["fanning.bulk_update"]["ok"] == 1


class FanningWithImpl(Fanning):
    @hookimpl
    async def fusionhub_bulk_update(self, ctx: Any, params: Any) -> Any:
        return None


def test_a_declared_fan_out_with_a_hookimpl_too_is_refused() -> None:
    record = Registry(allow=None, deny=(), strict=False).add(FanningWithImpl(), "fanning")
    assert record.status is PluginStatus.FAILED
    assert "bulk_update declares fan_out = 'update_product' but has a hookimpl" in (record.error or "")


@pytest.mark.parametrize(
    ("capabilities", "fragment"),
    [
        ({"bulk_update": {"level": "native", "fan_out": "update_product"}}, "declare level = 'workaround'"),
        ({"get_product": {"level": "workaround", "workaround": WORKAROUND, "fan_out": "get_product"}}, "only a"),
        (
            {"bulk_operations": {"level": "workaround", "workaround": WORKAROUND, "fan_out": "update_product"}},
            "only a capability taking items and returning a BulkResult",
        ),
        (
            {"bulk_update": {"level": "workaround", "workaround": WORKAROUND, "fan_out": "update_product"}},
            "fan_out target update_product must be implemented",
        ),
        (
            {
                "get_product": {"level": "native"},
                "bulk_update": {"level": "workaround", "workaround": WORKAROUND, "fan_out": "get_product"},
            },
            "must take one item (UpdateProductParams)",
        ),
        (
            {"bulk_update": {"level": "workaround", "workaround": WORKAROUND, "fan_out": "teleport"}},
            "fan_out",
        ),
    ],
)
def test_a_fan_out_declaration_is_validated(capabilities: dict[str, Any], fragment: str) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        PluginManifest.model_validate(manifest("shop", **capabilities))
    assert fragment in str(err.value)


# --- the authoring guide's examples ----------------------------------------------------------


def guide_block(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_guides_example_manifest_declares_a_valid_fan_out() -> None:
    manifest = PluginManifest.model_validate(tomllib.loads(guide_block("toml", "fan_out")))
    assert manifest.contract("bulk_update").fan_out is Capability.UPDATE_PRODUCT


async def test_the_guides_wrapper_example_times_every_platforms_calls() -> None:
    timer = types.ModuleType("guide_timer")
    exec(guide_block("python", "wrapper=True"), timer.__dict__)  # noqa: S102 - our own documentation
    hub = hub_with(alpha=Platform("alpha"), beta=Platform("beta"), timer=timer)
    await hub.execute("alpha", "get_product", {"product_id": "1"})
    with pytest.raises(PlatformError):
        await hub.execute("beta", "get_product", {"product_id": "boom"})
    assert [(t[0], t[1], t[3]) for t in timer.TIMINGS] == [("alpha", "1", "ok"), ("beta", "boom", "LookupError")]


async def test_a_lone_hookimpl_is_called_directly_and_pluggy_takes_over_for_a_wrapper_or_a_monitor() -> None:
    hub = hub_with(alpha=Platform("alpha"))
    registry = hub.registry
    assert type(registry.caller("alpha", "fusionhub_get_product")).__name__ == "_Direct"
    assert (await hub.execute("alpha", "get_product", {"product_id": "1"})).value.platform == "alpha"
    seen: list[str] = []
    undo = registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *a: None)
    try:  # a monitor sees every call: the call goes through pluggy again
        assert (await hub.execute("alpha", "get_product", {"product_id": "2"})).value.title == "from alpha"
    finally:
        undo()
    assert "fusionhub_get_product" in seen
    assert type(registry.caller("alpha", "fusionhub_get_product")).__name__ == "_Direct"
    tracer = Tracer()
    registry.add(tracer, "tracer")  # a wrapper registered later: through pluggy, inside it
    assert (await hub.execute("alpha", "get_product", {"product_id": "3"})).value.platform == "alpha"
    assert [(s[0], s[2].product_id) for s in tracer.seen] == [("alpha", "3")]


@pytest.mark.parametrize("names", [(), ("ctx",), ("ctx", "params")])
def test_a_direct_call_passes_the_arguments_a_hookimpl_names_as_pluggy_would(names: tuple[str, ...]) -> None:
    from fusionhub.registry import _Direct

    def impl(*args: Any) -> tuple[Any, ...]:
        return args

    hookimpl_ = types.SimpleNamespace(function=impl, argnames=names)
    direct = _Direct("fusionhub_get_product", hookimpl_)  # type: ignore[arg-type]
    given = {"ctx": "the ctx", "params": "the params", "extra": "not named"}
    assert direct(**given) == tuple(given[n] for n in names)
    if names:
        with pytest.raises(pluggy.HookCallError, match=f"must provide argument '{names[-1]}'"):
            direct(**{n: given[n] for n in names[:-1]})
