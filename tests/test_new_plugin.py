"""`fusionhub new-plugin`: what it writes is a complete distribution that installs, loads with its
15 levels and passes its own tests (the conformance kit) with no edit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fusionhub.capabilities import Capability, spec_of
from fusionhub.cli import cli
from fusionhub.cli.new_plugin import template_files, write_plugin
from fusionhub.contracts import Level, PluginManifest

CORE = Path(__file__).resolve().parents[1] / "core"


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)  # noqa: S603 - fixed argv, no shell


def generate(tmp_path: Path, slug: str = "acme-shop") -> Path:
    target = tmp_path / slug
    result = CliRunner().invoke(cli, ["new-plugin", slug, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote fusionhub-{slug}" in result.output
    return target


def test_writes_every_template_with_no_placeholder_left(tmp_path: Path) -> None:
    target = generate(tmp_path)
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert written == [
        "CHANGELOG.md",
        "README.md",
        "changelog.d/+first-version.added.md",
        "pyproject.toml",
        "src/fusionhub_acme_shop/__init__.py",
        "src/fusionhub_acme_shop/manifest.toml",
        "src/fusionhub_acme_shop/plugin.py",
        "src/fusionhub_acme_shop/py.typed",
        "src/fusionhub_acme_shop/sandbox.py",
        "src/fusionhub_acme_shop/wire.py",
        "tests/test_conformance.py",
    ]
    assert len(template_files()) == len(written)
    for path in target.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text("utf-8"), path


def test_pyproject_declares_the_entry_point_and_core_range(tmp_path: Path) -> None:
    project = tomllib.loads((generate(tmp_path) / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == "fusionhub-acme-shop"
    assert project["entry-points"]["fusionhub.plugins"] == {"acme-shop": "fusionhub_acme_shop.plugin"}
    assert "fusionhub>=1.0,<2" in project["dependencies"]
    assert project["optional-dependencies"]["test"] == ["fusionhub[testing]>=1.0,<2"]


def test_manifest_declares_all_15_capabilities_and_once_for_writes(tmp_path: Path) -> None:
    text = (generate(tmp_path) / "src/fusionhub_acme_shop/manifest.toml").read_text("utf-8")
    manifest = PluginManifest.model_validate(tomllib.loads(text))
    assert manifest.slug == "acme-shop" and set(manifest.capabilities) == set(Capability)
    assert manifest.hosts == ["api.acme-shop.example"]
    assert manifest.config_schema["additionalProperties"] is False
    for capability, contract in manifest.capabilities.items():
        assert f"[capabilities.{capability.value}]" in text
        if spec_of(capability).writes and contract.level is not Level.UNSUPPORTED:
            assert contract.once is not None, capability
    assert manifest.constraints.rate_limit is not None


def test_readme_has_the_capability_table_and_the_differences_section(tmp_path: Path) -> None:
    readme = (generate(tmp_path) / "README.md").read_text("utf-8")
    assert "## Differences from the platform's documentation" in readme
    for capability in Capability:
        assert f"| {capability.value} |" in readme


@pytest.mark.parametrize("slug", ["Acme", "acme_shop", "1acme", "acme-", ""])
def test_a_bad_name_is_refused(tmp_path: Path, slug: str) -> None:
    result = CliRunner().invoke(cli, ["new-plugin", slug, "--dir", str(tmp_path / "x")])
    assert result.exit_code == 2 and "is not a plugin slug" in result.output
    assert not (tmp_path / "x").exists()


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["new-plugin", "acme", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_the_generated_code_is_lint_clean(tmp_path: Path) -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    target = tmp_path / "acme"
    write_plugin("acme", target)
    config = str(Path(__file__).resolve().parents[1] / "pyproject.toml")
    for args in (["check"], ["format", "--check"]):
        done = run([ruff, *args, "--config", config, str(target)])
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_generated_plugin_installs_loads_with_15_levels_and_passes_its_tests(tmp_path: Path) -> None:
    """In a throwaway venv holding core and the new plugin only (the nox session `new_plugin` too)."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to make the throwaway venv")
    target = generate(tmp_path, "acme")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    bin_dir = venv / "bin"
    install = [uv, "pip", "install", "-q", "--python", str(bin_dir / "python"), str(CORE), f"{target}[test]"]
    installed = run(install, env=env)
    assert installed.returncode == 0, installed.stderr
    tests = run([str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider"], cwd=target, env=env)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
    # The one-line test file found the plugin: one test per capability, from its manifest.
    collected = run([str(bin_dir / "pytest"), "-q", "--collect-only", "-p", "no:cacheprovider"], cwd=target, env=env)
    per_capability = [line for line in collected.stdout.splitlines() if "_sandbox[" in line or "_requests[" in line]
    assert len(per_capability) == 15, collected.stdout
    listed = run([str(bin_dir / "fusionhub"), "plugins", "list", "--json"], check=True, env=env)
    (plugin,) = json.loads(listed.stdout)
    assert plugin["distribution"] == "fusionhub-acme" and plugin["status"] == "loaded", plugin.get("error")
    assert len(plugin["capabilities"]) == 15
