"""Discovery from REAL installed distributions (tests/fixtures/plugins/*, installed by nox).

Each broken fixture is reported with its status and reason while the rest load, the listing
exits 0, and the allow-list, deny-list and strict mode behave as documented.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fusionhub import Capability, PluginLoadError, Registry
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT, PluginKind, PluginStatus
from fusionhub.testing.harness import sandbox_run

FIXTURES = {
    # entry-point name: (distribution, status, fragments the reason must contain)
    "example": ("fusionhub-example", "loaded", []),
    "call-recorder": ("fusionhub-fixture-observer", "loaded", []),
    "broken-import": (
        "fusionhub-fixture-broken-import",
        "failed",
        ["import error", "ModuleNotFoundError", "fusionhub_dependency_that_is_not_installed"],
    ),
    "bad-manifest": (
        "fusionhub-fixture-bad-manifest",
        "failed",
        ["manifest invalid", "constraints.rate_limit", "capabilities.get_product", "explanation"],
    ),
    "bad-signature": ("fusionhub-fixture-bad-signature", "failed", ["hookimpl signature", "locale"]),
    "level-mismatch": (
        "fusionhub-fixture-level-mismatch",
        "failed",
        [
            "level/implementation mismatch",
            "list_products is declared unsupported but has a hookimpl",
            "get_product is declared native but has no hookimpl",
        ],
    ),
    "future-core": ("fusionhub-fixture-future-core", "incompatible", ["core API >=2.0,<3", "provides 1.0"]),
    "requires-future-core": (
        "fusionhub-fixture-requires-future-core",
        "incompatible",
        ["requires fusionhub", ">=2", "installed is"],
    ),
}


def entries_named(entries: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["slug"] == slug]


def one(entries: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    found = entries_named(entries, slug)
    assert len(found) == 1, f"expected one entry named {slug!r}, got {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.discover(strict=False, allow=None)


def test_list_json_reports_each_fixture_with_status_and_reason(installed_plugins: list[dict[str, Any]]) -> None:
    entries = installed_plugins
    for slug, (distribution, status, fragments) in FIXTURES.items():
        entry = one(entries, slug)
        assert entry["distribution"] == distribution
        assert entry["status"] == status, entry
        if status == "loaded":
            assert entry["error"] is None
        else:
            assert entry["hint"], f"{slug} needs a fix hint"
        for fragment in fragments:
            assert fragment in entry["error"], f"{slug}: {fragment!r} not in {entry['error']!r}"


def test_list_json_has_the_documented_shape(installed_plugins: list[dict[str, Any]]) -> None:
    entries = installed_plugins
    names = {c.value for c in Capability}
    for entry in entries:
        assert {"slug", "name", "version", "distribution", "status", "error", "capabilities"} <= set(entry)
        assert entry["status"] in {"loaded", "failed", "blocked", "incompatible"}
        assert set(entry["capabilities"]) == names
        for contract in entry["capabilities"].values():
            assert {"level", "automation_enabled", "constraints", "workaround"} <= set(contract)
    example = one(entries, "example")["capabilities"]
    assert example["list_products"]["level"] == "native"
    assert example["list_products"]["constraints"]["rate_limit"] == {
        "type": "requests_per_second",
        "requests": 5,
        "window": 1.0,
        "endpoint_classes": {},
    }
    assert example["bulk_update"]["level"] == "workaround"
    assert "update_product" in example["bulk_update"]["workaround"]["description"]
    assert example["delete_product"]["automation_enabled"] is False
    assert example["webhooks"]["level"] == "unsupported"
    assert example["webhooks"]["explanation"] and example["webhooks"]["manual_workaround"]
    # What a broken plugin could not declare is unknown, not "unsupported".
    assert one(entries, "broken-import")["capabilities"]["get_product"]["level"] is None


def test_duplicate_slug_keeps_the_first_and_reports_the_second(installed_plugins: list[dict[str, Any]]) -> None:
    twins = {e["distribution"]: e for e in entries_named(installed_plugins, "twin")}
    assert twins["fusionhub-fixture-twin-a"]["status"] == "loaded"
    second = twins["fusionhub-fixture-twin-b"]
    assert second["status"] == "failed"
    assert "duplicate slug 'twin'" in second["error"] and "fusionhub-fixture-twin-a" in second["error"]


def test_requires_dist_is_checked_before_import(registry: Registry) -> None:
    record = next(r for r in registry.records if r.name == "requires-future-core")
    assert record.status is PluginStatus.INCOMPATIBLE
    # Its module raises on import: had discovery imported it, the reason would be an import error.
    assert "fusionhub_fixture_requires_future_core.plugin" not in sys.modules
    assert "import" not in (record.error or "")


def test_observer_plugin_sees_every_capability_call(registry: Registry) -> None:
    observer = next(r for r in registry.records if r.name == "call-recorder")
    assert observer.status is PluginStatus.LOADED and observer.kind is PluginKind.OBSERVER
    calls = observer.obj.CALLS
    calls.clear()
    run = sandbox_run("example", registry=registry)
    product_id = run.sandbox.sample_params(Capability.GET_PRODUCT)["product_id"]  # type: ignore[index]

    async def main() -> None:
        await run.execute("get_product", {"product_id": product_id})
        with pytest.raises(Exception, match="No such product"):
            await run.execute("get_product", {"product_id": "p_missing"})
        await run.aclose()

    run.clock.run(main())
    seen = [(c.plugin, c.capability, c.ok, c.error_category) for c in calls]
    assert seen == [("example", "get_product", True, None), ("example", "get_product", False, "not_found")]


def test_allow_list_loads_only_what_it_names(plugins_json: Any) -> None:
    entries = plugins_json({ENV_LOAD: "example, call-recorder"})
    assert one(entries, "example")["status"] == "loaded"
    assert one(entries, "call-recorder")["status"] == "loaded"
    for entry in entries:
        if entry["slug"] not in {"example", "call-recorder"}:
            assert entry["status"] == "blocked", entry
            assert ENV_LOAD in entry["error"]


def test_empty_allow_list_loads_nothing(plugins_json: Any) -> None:
    entries = plugins_json({ENV_LOAD: ""})
    assert entries and all(e["status"] == "blocked" for e in entries)


def test_deny_list_blocks_what_it_names(plugins_json: Any) -> None:
    entries = plugins_json({ENV_DISABLE: "example,broken-import"})
    for slug in ("example", "broken-import"):
        entry = one(entries, slug)
        assert entry["status"] == "blocked" and ENV_DISABLE in entry["error"]
    assert one(entries, "call-recorder")["status"] == "loaded"
    assert one(entries, "bad-signature")["status"] == "failed"


def test_strict_mode_raises_instead_of_skipping(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = {PluginStatus.FAILED, PluginStatus.INCOMPATIBLE}
    first_broken = next(r for r in registry.records if r.status in refused)
    with pytest.raises(PluginLoadError) as err:
        Registry.discover(strict=True)
    assert err.value.details["plugin"] == first_broken.name
    assert err.value.details["hint"] == first_broken.hint
    assert first_broken.error and first_broken.error in str(err.value)
    monkeypatch.setenv(ENV_STRICT, "1")
    with pytest.raises(PluginLoadError):
        Registry.discover()
    # Strict mode is for the plugins one asked for: an allow-list of sound ones loads fine.
    assert Registry.discover(allow={"example"}).platform("example").status is PluginStatus.LOADED


def test_strict_mode_on_the_command_line(fusionhub_cli: Any) -> None:
    result = fusionhub_cli("plugins", "--strict", "list", "--json")
    assert result.returncode == 1
    assert result.stderr.startswith("error: plugin ") and "fix:" in result.stderr
    assert fusionhub_cli("plugins", "list", "--json", env={ENV_STRICT: "1"}).returncode == 1


def test_a_broken_plugin_put_on_the_path_does_not_stop_the_listing(tmp_path: Path, fusionhub_cli: Any) -> None:
    """A plugin dropped onto PYTHONPATH (module + dist-info, no installer) whose import raises."""
    (tmp_path / "dropped_plugin.py").write_text('raise ImportError("dropped_plugin needs a library")\n')
    info = tmp_path / "dropped_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dropped-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[fusionhub.plugins]\ndropped = dropped_plugin\n")
    (info / "RECORD").write_text("")

    listing = fusionhub_cli("plugins", "list", "--json", env={"PYTHONPATH": str(tmp_path)})
    doctor = fusionhub_cli("plugins", "doctor", env={"PYTHONPATH": str(tmp_path)})
    for result in (listing, doctor):
        assert result.returncode == 0, result.stderr
        assert "dropped_plugin needs a library" in result.stdout
    entries = json.loads(listing.stdout)
    dropped = one(entries, "dropped")
    assert dropped["status"] == "failed" and dropped["distribution"] == "dropped-plugin"
    assert dropped["error"] == "import error: ImportError: dropped_plugin needs a library"
    assert one(entries, "example")["status"] == "loaded"


def test_listing_does_not_need_rich(fusionhub_cli: Any, tmp_path: Path) -> None:
    """`--json` output works where rich cannot be imported: tables import it lazily, JSON never."""
    blocker = tmp_path / "rich"
    blocker.mkdir()
    (blocker / "__init__.py").write_text('raise ImportError("rich must not be needed for --json")\n')
    result = fusionhub_cli("plugins", "list", "--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert one(json.loads(result.stdout), "example")["status"] == "loaded"
    # The control: the table output does need it, so the blocker really was on the path.
    assert "rich must not be needed" in fusionhub_cli("plugins", "list", env={"PYTHONPATH": str(tmp_path)}).stderr
