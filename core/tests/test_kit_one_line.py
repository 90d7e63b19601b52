"""A plugin's conformance test is one line: `TestConformance` finds its plugin from the nearest
pyproject.toml's fusionhub.plugins entry point, and says what to do when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from fusionhub.testing import conformance
from fusionhub.testing.conformance import ConformanceSuite, slug_for


def project(folder: Path, entry_points: str) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "x"\n{entry_points}')
    return folder / "tests" / "test_conformance.py"


def test_the_slug_is_the_one_entry_point_of_the_distribution(tmp_path: Path) -> None:
    test_file = project(tmp_path, '[project.entry-points."fusionhub.plugins"]\nacme-shop = "fusionhub_acme.plugin"\n')
    assert slug_for(test_file) == "acme-shop"


def test_no_entry_point_or_several_are_refused_with_what_to_do(tmp_path: Path) -> None:
    none = project(tmp_path / "none", "")
    with pytest.raises(LookupError, match=r"no pyproject.toml above .* declares an entry point in group fusionhub"):
        slug_for(none)
    several = project(tmp_path / "two", '[project.entry-points."fusionhub.plugins"]\na = "a.plugin"\nb = "b.plugin"\n')
    with pytest.raises(LookupError, match=r"declares 2 plugins \(a, b\) .* conformance_suite\(slug\)"):
        slug_for(several)


def test_test_conformance_is_the_kit_with_no_slug_of_its_own() -> None:
    # Imported by name into a test module, pytest would collect it there (that is its use).
    assert issubclass(conformance.TestConformance, ConformanceSuite) and conformance.TestConformance.slug == ""
