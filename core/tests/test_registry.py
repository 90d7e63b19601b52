"""Discovery under a guard: every failure mode is recorded with a reason and a hint, the rest load.

Plugins here are in-test objects and hand-made entry points; tests/test_discovery.py does the
same with real installed distributions.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from fusionhub import Capability, Level, PluginLoadError, Registry, hookimpl
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT, PluginKind, PluginStatus


def manifest(slug: str, **extra: Any) -> dict[str, Any]:
    base = {"slug": slug, "name": slug.title(), "version": "1.0.0", "api": "test", "auth": "none", "capabilities": {}}
    return base | extra


class Good:
    @hookimpl
    def fusionhub_manifest(self) -> dict[str, Any]:
        return manifest("good", capabilities={"get_product": {"level": "native"}})

    @hookimpl
    async def fusionhub_get_product(self, ctx: Any, params: Any) -> Any:
        return None


class Fake:
    """A plugin object built from a manifest and a set of hookimpls (by capability)."""

    def __init__(self, data: Any, impls: dict[str, Any] | None = None) -> None:
        self._data = data
        for name, fn in (impls or {}).items():
            setattr(self, name, hookimpl(fn))

    @hookimpl
    def fusionhub_manifest(self) -> Any:
        if isinstance(self._data, Exception):
            raise self._data
        return self._data


async def _impl(ctx: Any, params: Any) -> Any:
    return None


class FakeDist:
    """What discovery reads of a distribution: name, version, Requires-Dist."""

    def __init__(self, name: str, requires: list[str]) -> None:
        self.metadata = {"Name": name}
        self.version = "0.1.0"
        self.requires = requires


def reg(**kwargs: Any) -> Registry:
    return Registry(**{"allow": None, "deny": (), "strict": False, **kwargs})


def test_a_sound_platform_plugin_loads() -> None:
    registry = reg()
    record = registry.add(Good(), "good")
    assert record.status is PluginStatus.LOADED and record.kind is PluginKind.PLATFORM
    assert record.manifest is not None and record.manifest.contract("get_product").level is Level.NATIVE
    assert registry.platform("good") is record
    assert registry.impl("good", "fusionhub_get_product") is not None
    assert registry.impl("good", "fusionhub_list_products") is None
    assert registry.failed() == []


@pytest.mark.parametrize(
    ("plugin", "status", "fragments"),
    [
        pytest.param(
            Fake({"slug": "bad", "name": "x"}),
            PluginStatus.FAILED,
            ["manifest invalid", "version: Field required", "capabilities: Field required"],
            id="manifest-missing-fields",
        ),
        pytest.param(
            Fake(manifest("bad", capabilities={"get_product": {"level": "sometimes"}})),
            PluginStatus.FAILED,
            ["manifest invalid", "capabilities.get_product.level"],
            id="manifest-bad-level",
        ),
        pytest.param(
            Fake(RuntimeError("reads a file")),
            PluginStatus.FAILED,
            ["manifest invalid: fusionhub_manifest() raised RuntimeError: reads a file"],
            id="manifest-hook-raises",
        ),
        pytest.param(
            Fake(manifest("other")),
            PluginStatus.FAILED,
            ["slug 'other' differs from the entry-point name 'bad'"],
            id="slug-not-entry-point-name",
        ),
        pytest.param(
            Fake(manifest("bad"), {"fusionhub_get_product": lambda ctx, params: None}),
            PluginStatus.FAILED,
            ["hookimpl signature does not match its spec: fusionhub_get_product must be `async def`"],
            id="sync-capability-hook",
        ),
        pytest.param(
            Fake(manifest("bad"), {"fusionhub_get_product": lambda ctx, params, locale: None}),
            PluginStatus.FAILED,
            ["hookimpl signature does not match its spec"],
            id="extra-argument",
        ),
        pytest.param(
            Fake(manifest("bad"), {"fusionhub_teleport": _impl}),
            PluginStatus.FAILED,
            ["no hookspec named fusionhub_teleport"],
            id="unknown-hook",
        ),
        pytest.param(
            Fake(manifest("bad", capabilities={"get_product": {"level": "native"}})),
            PluginStatus.FAILED,
            ["level/implementation mismatch: get_product is declared native but has no hookimpl"],
            id="native-without-hookimpl",
        ),
        pytest.param(
            Fake(
                manifest(
                    "bad", capabilities={"bulk_update": {"level": "workaround", "workaround": {"description": "x"}}}
                )
            ),
            PluginStatus.FAILED,
            ["bulk_update is declared workaround but has no hookimpl"],
            id="workaround-without-hookimpl",
        ),
        pytest.param(
            Fake(manifest("bad"), {"fusionhub_list_products": _impl}),
            PluginStatus.FAILED,
            ["list_products is declared unsupported but has a hookimpl"],
            id="unsupported-with-hookimpl",
        ),
        pytest.param(
            Fake(manifest("bad", core_api=">=2,<3")),
            PluginStatus.INCOMPATIBLE,
            ["declares core API >=2,<3, this core provides 1.0"],
            id="core-api-range",
        ),
    ],
)
def test_each_failure_is_recorded_with_reason_and_hint_and_the_rest_load(
    plugin: Any, status: PluginStatus, fragments: list[str]
) -> None:
    registry = reg()
    record = registry.add(plugin, "bad")
    good = registry.add(Good(), "good")
    assert record.status is status
    for fragment in fragments:
        assert fragment in (record.error or ""), record.error
    assert record.hint
    assert record.impls == {} and "bad" not in registry.platforms
    assert not registry.pm.is_registered(plugin), "a rejected plugin's hooks must not stay registered"
    assert good.status is PluginStatus.LOADED and registry.failed() == [record]
    with pytest.raises(PluginLoadError, match=r"no loaded plugin for platform 'bad'.*loaded: good"):
        registry.platform("bad")


def test_strict_mode_raises_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PluginLoadError) as err:
        reg(strict=True).add(Fake(manifest("bad", core_api=">=2")), "bad")
    assert err.value.details == {
        "plugin": "bad",
        "status": "incompatible",
        "hint": "install a plugin release made for this core, or a core in the plugin's range",
    }
    monkeypatch.setenv(ENV_STRICT, "yes")
    with pytest.raises(PluginLoadError, match="level/implementation mismatch"):
        Registry(allow=None).add(Fake(manifest("bad"), {"fusionhub_get_product": _impl}), "bad")
    # Blocking is a choice, never an error, even in strict mode.
    assert Registry(allow=set()).add(Good(), "good").status is PluginStatus.BLOCKED


def test_duplicate_slug_is_refused_before_import() -> None:
    registry = reg()
    registry.add(Good(), "good", distribution=FakeDist("first-dist", []))  # type: ignore[arg-type]
    loads: list[str] = []

    def load() -> Any:
        loads.append("imported")
        return Good()

    record = registry._guarded("good", FakeDist("second-dist", []), load)  # type: ignore[arg-type]
    assert record.status is PluginStatus.FAILED
    assert record.error == "duplicate slug 'good': already provided by first-dist"
    assert loads == [] and registry.platform("good").distribution == "first-dist"


def test_requires_dist_excluding_this_core_is_refused_before_import() -> None:
    def load() -> Any:
        raise AssertionError("must not be imported")

    registry = reg()
    dist = FakeDist("future-plugin", ["httpx>=0.27", "fusionhub>=2,<3", 'fusionhub>=9; python_version < "3"'])
    record = registry._guarded("future", dist, load)  # type: ignore[arg-type]
    assert record.status is PluginStatus.INCOMPATIBLE
    assert record.error is not None and record.error.startswith("requires fusionhub<3,>=2, installed is")
    assert record.distribution == "future-plugin" and record.dist_version == "0.1.0"
    # A range that includes this core (and markers, which are not ours to judge) pass.
    ok = registry._guarded("good", FakeDist("ok", ["fusionhub>=1.0,<2", "fusion-hub-other"]), Good)  # type: ignore[arg-type]
    assert ok.status is PluginStatus.LOADED


def test_entry_points_are_loaded_one_at_a_time_under_a_guard() -> None:
    eps = [
        EntryPoint("missing", "fusionhub_no_such_module_anywhere", "fusionhub.plugins"),
        EntryPoint("attr", "fusionhub.capabilities:NoSuchAttribute", "fusionhub.plugins"),
        EntryPoint("capabilities", "fusionhub.capabilities", "fusionhub.plugins"),  # a module with no hooks
    ]
    registry = reg()
    registry.load_entry_points(eps)
    by_name = {r.name: r for r in registry.records}
    assert [r.name for r in registry.records] == ["attr", "capabilities", "missing"]  # sorted, deterministic
    assert by_name["missing"].error == (
        "import error: ModuleNotFoundError: No module named 'fusionhub_no_such_module_anywhere'"
    )
    assert by_name["attr"].status is PluginStatus.FAILED and "AttributeError" in (by_name["attr"].error or "")
    assert by_name["capabilities"].status is PluginStatus.LOADED
    assert by_name["capabilities"].kind is PluginKind.OBSERVER  # no manifest: not a platform
    assert registry.platforms == {}


def test_allow_and_deny_lists_from_arguments_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_only = Registry(allow={"other"}, strict=False)
    record = allow_only.add(Good(), "good")
    assert record.status is PluginStatus.BLOCKED and record.error == f"not in {ENV_LOAD}"
    assert record.hint == f"add 'good' to {ENV_LOAD}"

    monkeypatch.setenv(ENV_LOAD, "")
    assert Registry().add(Good(), "good").status is PluginStatus.BLOCKED  # empty allow-list: none
    monkeypatch.setenv(ENV_LOAD, " good , other ")
    assert Registry().add(Good(), "good").status is PluginStatus.LOADED
    monkeypatch.delenv(ENV_LOAD)

    monkeypatch.setenv(ENV_DISABLE, "good")
    denied = Registry().add(Good(), "good")
    assert denied.status is PluginStatus.BLOCKED and denied.error == f"disabled by {ENV_DISABLE}"
    # The deny-list wins over an allow-list naming the same plugin.
    assert Registry(allow={"good"}).add(Good(), "good").status is PluginStatus.BLOCKED


def test_observer_plugins_receive_observer_hooks() -> None:
    seen: list[Any] = []

    class Observer:
        @hookimpl
        def fusionhub_on_alert(self, alert: Any) -> None:
            seen.append(alert)

    registry = reg()
    record = registry.add(Observer(), "alerts")
    assert record.kind is PluginKind.OBSERVER and record.status is PluginStatus.LOADED
    registry.hook.fusionhub_on_alert(alert="error rate over 5%")
    assert seen == ["error rate over 5%"]


def test_undeclared_capabilities_read_as_unsupported_with_an_explanation() -> None:
    registry = reg()
    registry.add(Good(), "good")
    contract = registry.platform("good").manifest.contract(Capability.WEBHOOKS)  # type: ignore[union-attr]
    assert contract.level is Level.UNSUPPORTED and contract.explanation
