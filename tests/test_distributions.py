"""Every distribution's release facts agree: one version, its changelog, its manifest, core's extras.

`nox -s dist` builds and installs the wheels; this test checks the sources those builds read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from fusionhub.cli.new_plugin import write_plugin
from fusionhub.testing.snippets import blocks

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


def _released(changelog: str) -> list[Version]:
    """The released sections' versions, top to bottom (`## X.Y.Z` or `## X.Y.Z (date)`)."""
    return [Version(h) for h in re.findall(r"^## (\S+)", changelog, re.M)]


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_changelog_has_a_section_for_the_current_version(path: Path) -> None:
    changelog = (path / "CHANGELOG.md").read_text()
    start = _towncrier(path)["start_string"].strip()
    head, marker, _ = changelog.partition(start)
    assert marker, f"{path.name}/CHANGELOG.md lacks towncrier's marker {start!r}: releases would go on top of the text"
    assert not re.search(r"^## ", head, re.M), (
        f"{path.name}/CHANGELOG.md: a section above the marker (unreleased changes are fragments in changelog.d/)"
    )
    released = _released(changelog)
    assert released and released[0] == _version(path), (
        f"{path.name}/CHANGELOG.md: newest released section is {released[:1]}, the package says {_version(path)}"
    )
    assert released == sorted(released, reverse=True), "sections are newest first"


def _towncrier(path: Path) -> dict[str, Any]:
    config = _pyproject(path)["tool"].get("towncrier")
    assert config, f"{path.name}/pyproject.toml has no [tool.towncrier]"
    return dict(config)


def _next(version: Version) -> str:
    return f"{version.major}.{version.minor}.{version.micro + 1}"


def towncrier(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "towncrier", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_towncrier_layout(path: Path) -> None:
    config = _towncrier(path)
    assert (config["filename"], config["directory"]) == ("CHANGELOG.md", "changelog.d")
    assert config["title_format"].startswith("## {version}"), "a release is a `## X.Y.Z` section"
    assert config["ignore"] == [], "strict: a stray file in changelog.d/ fails the build"
    assert (path / "changelog.d").is_dir(), f"{path.name}/changelog.d/ is missing"


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_towncrier_drafts_the_next_release(path: Path) -> None:
    """Every fragment parses and has a known type: the next release would build."""
    version = _next(_version(path))
    done = towncrier(path, "build", "--draft", "--version", version)
    assert done.returncode == 0, f"{path.name}: towncrier build --draft failed:\n{done.stdout}{done.stderr}"
    assert f"\n## {version} (" in "\n" + done.stdout
    for fragment in (path / "changelog.d").iterdir():
        first_line = fragment.read_text("utf-8").splitlines()[0]
        assert first_line in done.stdout, f"{fragment}: not in the draft"


@pytest.mark.parametrize("path", DIST_DIRS, ids=lambda p: p.name)
def test_a_release_writes_a_section_the_checks_accept(path: Path, tmp_path: Path) -> None:
    """`towncrier build --version` on a copy: the new section goes on top, the fragments go away."""
    copy = tmp_path / path.name
    copy.mkdir()
    shutil.copy(path / "pyproject.toml", copy)
    shutil.copy(path / "CHANGELOG.md", copy)
    shutil.copytree(path / "changelog.d", copy / "changelog.d")
    version = _next(_version(path))
    # `--yes`: no question. In the repository towncrier `git rm`s the fragments; the copy is in none, it deletes them.
    done = towncrier(copy, "build", "--yes", "--version", version)
    assert done.returncode == 0, done.stdout + done.stderr
    changelog = (copy / "CHANGELOG.md").read_text()
    assert _released(changelog)[:2] == [Version(version), _version(path)]
    head = changelog.partition(_towncrier(path)["start_string"].strip())[0]
    assert head == (path / "CHANGELOG.md").read_text().partition(_towncrier(path)["start_string"].strip())[0]
    assert list((copy / "changelog.d").iterdir()) == []


def test_a_fragment_of_an_unknown_type_or_bad_name_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "core"
    copy.mkdir()
    shutil.copy(ROOT / "core" / "pyproject.toml", copy)
    shutil.copy(ROOT / "core" / "CHANGELOG.md", copy)
    (copy / "changelog.d").mkdir()
    for name, error in (("+x.feature.md", "Invalid news fragment name"), ("x.added.md", "does not match")):
        fragment = copy / "changelog.d" / name
        fragment.write_text("text\n")
        done = towncrier(copy, "build", "--draft", "--version", "9.9.9")
        assert done.returncode != 0 and error in done.stderr, (name, done.stderr)
        fragment.unlink()


def test_a_generated_plugin_has_the_same_layout(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    write_plugin("acme", target)
    assert _towncrier(target) == {**_towncrier(ROOT / "core"), "name": "fusionhub-acme"}
    done = towncrier(target, "build", "--draft", "--version", "0.1.0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "- First version, generated by `fusionhub new-plugin acme`." in done.stdout


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


def test_the_releasing_guide_shows_the_configuration_in_use() -> None:
    (block,) = [b for b in blocks(ROOT / "docs" / "releasing.md") if b.lang == "toml"]
    shown = tomllib.loads(block.code)["tool"]["towncrier"]
    assert shown == _towncrier(ROOT / "plugins-etsy"), "docs/releasing.md's [tool.towncrier] is not the pyprojects'"
