"""The hooks every platform plugin has, declared in one line each instead of written out.

    fusionhub_manifest = manifest_hook("fusionhub_acme")                    # reads manifest.toml once
    fusionhub_sandbox = sandbox_hook("fusionhub_acme.sandbox:AcmeSandbox")  # imported on first use

Each returns a hookimpl for its hookspec; bind it to the hook's name in the plugin's entry module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from fusionhub.clock import Clock
from fusionhub.contracts import PluginManifest, load_manifest
from fusionhub.hookspecs import hookimpl

if TYPE_CHECKING:  # the sandbox package is imported only by a host that asks for a sandbox
    from fusionhub.sandbox import Sandbox


@cache
def _manifest(package: str, resource: str) -> PluginManifest:
    return load_manifest(package, resource)


def manifest_hook(package: str, resource: str = "manifest.toml") -> Callable[[], PluginManifest]:
    """`fusionhub_manifest` reading `resource` of `package` once (no I/O at import, none after)."""

    @hookimpl(specname="fusionhub_manifest")
    def fusionhub_manifest() -> PluginManifest:
        return _manifest(package, resource)

    return fusionhub_manifest


def sandbox_hook(target: str) -> Callable[[Clock, Mapping[str, Any]], Sandbox]:
    """`fusionhub_sandbox` building `module:Factory(clock, **options)`, importing it only when a host
    asks for a sandbox (hosts that never do import none of its code)."""
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"sandbox_hook wants 'module:Factory', got {target!r}")

    @hookimpl(specname="fusionhub_sandbox")
    def fusionhub_sandbox(clock: Clock, options: Mapping[str, Any]) -> Sandbox:
        factory = getattr(importlib.import_module(module), name)
        sandbox: Sandbox = factory(clock, **dict(options))
        return sandbox

    return fusionhub_sandbox
