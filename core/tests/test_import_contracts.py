"""The import-linter contract that keeps plugins on `fusionhub.plugin` names every other core module."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import fusionhub

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_the_plugin_contract_forbids_every_core_module_but_the_public_api() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if "fusionhub.hub" in c.get("forbidden_modules", []))
    modules = {f"fusionhub.{m.name}" for m in pkgutil.iter_modules(fusionhub.__path__)}
    assert "fusionhub.plugin" in modules
    assert set(contract["forbidden_modules"]) == modules - {"fusionhub.plugin"}


def test_the_public_plugin_api_exports_what_it_imports() -> None:
    import fusionhub.plugin as api

    exported = set(api.__all__)
    assert len(exported) == len(api.__all__), "a name is listed twice"
    missing = [name for name in exported if not hasattr(api, name)]
    assert not missing
