"""Every distribution's release facts agree: one version, its changelog, its manifest, core's extras.

`nox -s dist` builds and installs the wheels; this test checks the sources those builds read.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DIST_DIRS = [ROOT / "core", *sorted(p for p in ROOT.glob("plugins-*") if (p / "pyproject.toml").exists())]
VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.M)


def _pyproject(path: Path) -> dict[str, Any]:
    return tomllib.loads((path / "pyproject.toml").read_text())


def _version(path: Path) -> Version:
    """The version hatch builds with: `__version__` in the file `[tool.hatch.version]` names."""
    source = path / _pyproject(path)["tool"]["hatch"]["version"]["path"]
    found = VERSION_LINE.search(source.read_text())
    assert found, f"{source}: no literal __version__ line for hatch to read"
    return Version(found.group(1))


def _plugin_dirs() -> list[Path]:
    return [p for p in DIST_DIRS if p.name.startswith("plugins-")]


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_version_is_dynamic_from_one_file(path: Path) -> None:
    project = _pyproject(path)["project"]
    assert "version" not in project, "the version is read from __version__, not written in pyproject.toml"
    assert project["dynamic"] == ["version"]
    _version(path)


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_changelog_has_a_section_for_the_current_version(path: Path) -> None:
    changelog = (path / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+)", changelog, re.M)
    assert headings[:1] == ["Unreleased"], f"{path.name}/CHANGELOG.md must start with ## Unreleased"
    released = [Version(h) for h in headings[1:]]
    assert released and released[0] == _version(path), (
        f"{path.name}/CHANGELOG.md: newest released section is {released[:1]}, the package says {_version(path)}"
    )
    assert released == sorted(released, reverse=True), "sections are newest first"


@pytest.mark.parametrize("path", _plugin_dirs(), ids=lambda p: p.name)
def test_manifest_version_is_the_distribution_version(path: Path) -> None:
    manifests = list((path / "src").glob("*/manifest.toml"))
    if not manifests:
        pytest.skip("observer plugin: no manifest")
    (manifest,) = manifests
    assert Version(tomllib.loads(manifest.read_text())["version"]) == _version(path)


def _core_extras() -> dict[str, list[Requirement]]:
    extras = _pyproject(ROOT / "core")["project"]["optional-dependencies"]
    return {name: [Requirement(r) for r in reqs] for name, reqs in extras.items()}


@pytest.mark.parametrize("path", _plugin_dirs(), ids=lambda p: p.name)
def test_core_extra_pulls_the_plugin_at_its_current_version(path: Path) -> None:
    distribution = _pyproject(path)["project"]["name"]
    extra = distribution.removeprefix("fusionhub-")
    reqs = _core_extras().get(extra)
    assert reqs, f"core/pyproject.toml has no extra {extra!r} for {distribution}"
    (req,) = reqs
    assert req.name == distribution
    assert req.specifier.contains(_version(path)), f"fusionhub[{extra}] = {req} excludes {_version(path)}"
    assert any(s.operator == "<" for s in req.specifier), f"fusionhub[{extra}] = {req}: no upper bound"


def test_all_extra_is_every_platform_extra() -> None:
    (req,) = _core_extras()["all"]
    assert req.name == "fusionhub"
    platforms = set()
    for path in _plugin_dirs():
        if list((path / "src").glob("*/manifest.toml")):  # a platform, not an observer
            platforms.add(_pyproject(path)["project"]["name"].removeprefix("fusionhub-"))
    assert req.extras == platforms


@pytest.mark.parametrize("path", _plugin_dirs(), ids=lambda p: p.name)
def test_plugin_accepts_this_core(path: Path) -> None:
    (req,) = [Requirement(r) for r in _pyproject(path)["project"]["dependencies"] if Requirement(r).name == "fusionhub"]
    assert req.specifier.contains(_version(ROOT / "core"))
