"""The authoring guide's import-linter contract: it keeps a plugin that imports only fusionhub.plugin
and breaks one that reaches into core."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[1] / "docs" / "plugin-authoring.md"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract(package: str) -> str:
    block = re.search(r"```toml\n(\[tool\.importlinter\].*?)```", GUIDE.read_text(), re.S)
    assert block, "the guide shows an import-linter contract"
    return block.group(1).replace("fusionhub_acme", package)


def _lint(tmp_path: Path, package: str, modules: dict[str, str]) -> subprocess.CompletedProcess[str]:
    root = tmp_path / package
    root.mkdir()
    for name, source in modules.items():
        (root / name).write_text(source)
    (tmp_path / "pyproject.toml").write_text(_contract(package))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(  # noqa: S603 - our own lint-imports, on files this test wrote
        [str(LINT_IMPORTS), "--config", "pyproject.toml"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_guides_contract_keeps_a_plugin_on_the_public_api(tmp_path: Path) -> None:
    good = {
        "__init__.py": "from fusionhub.plugin import hookimpl\n",
        "plugin.py": "from fusionhub.plugin import HttpConfig, PluginManifest, hookimpl\n",
    }
    result = _lint(tmp_path, "fusionhub_good", good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_guides_contract_breaks_on_core_internals_and_the_host_package(tmp_path: Path) -> None:
    bad = {
        "__init__.py": "",
        "plugin.py": "from fusionhub.plugin import hookimpl\nfrom fusionhub.http.auth import BasicAuth\n",
        "host.py": "from fusionhub import Hub\n",
    }
    result = _lint(tmp_path, "fusionhub_bad", bad)
    assert result.returncode != 0
    assert "fusionhub_bad.plugin is not allowed to import fusionhub.http.auth" in result.stdout
    assert "fusionhub_bad.host is not allowed to import fusionhub" in result.stdout
