"""manifest_hook and sandbox_hook: the standard platform hooks in one line each."""

from __future__ import annotations

import sys

import pytest

from fusionhub.plugin import PluginManifest, VirtualClock, manifest_hook, sandbox_hook
from fusionhub.registry import Registry


def test_the_declared_hooks_are_the_plugins_and_the_sandbox_is_imported_on_first_use() -> None:
    class Plugin:
        fusionhub_manifest = staticmethod(manifest_hook("fusionhub_example"))
        fusionhub_sandbox = staticmethod(sandbox_hook("fusionhub_example.sandbox:ExampleSandbox"))

    sys.modules.pop("fusionhub_example.sandbox", None)
    hooks = (Plugin.fusionhub_manifest, Plugin.fusionhub_sandbox)
    assert "fusionhub_example.sandbox" not in sys.modules  # declaring imports nothing
    manifest = hooks[0]()
    assert isinstance(manifest, PluginManifest) and manifest.slug == "example"
    assert hooks[0]() is manifest  # read once
    sandbox = hooks[1](VirtualClock(), {})
    assert type(sandbox).__name__ == "ExampleSandbox" and "fusionhub_example.sandbox" in sys.modules

    # pluggy sees both as hookimpls of their specs, whatever the attribute holding them.
    pm = Registry(allow=set()).pm
    for name in ("fusionhub_manifest", "fusionhub_sandbox"):
        assert pm.parse_hookimpl_opts(Plugin, name) is not None


def test_a_sandbox_target_must_name_module_and_factory() -> None:
    with pytest.raises(ValueError, match="module:Factory"):
        sandbox_hook("fusionhub_example.sandbox")
