"""A command imports what it needs (issue 18): `--version` none of the framework, `plugins list`
no database or web library (rich comes with httpx when it is installed; test_discovery.py checks
that `--json` works without it), and none of the framework or the plugins when the verdict cache
answers. Read from `python -X importtime`, in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSIONHUB_CACHE_DIR", str(tmp_path / "cache"))


def imported(*args: str) -> set[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-m", "fusionhub.cli", *args],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


def test_version_imports_none_of_the_framework() -> None:
    modules = imported("--version")
    assert "fusionhub.cli" in modules  # the control: importtime saw the command's imports
    heavy = {"pydantic", "httpx", "pluggy", "structlog", "fusionhub.models", "fusionhub.hub", "fusionhub.registry"}
    assert not heavy & modules


def test_plugins_list_json_imports_no_database_web_or_table_library() -> None:
    modules = imported("plugins", "list", "--json", "--fresh")  # the full check: every plugin imported
    assert "fusionhub.registry" in modules
    for name in ("sqlalchemy", "alembic", "starlette", "fusionhub.storage", "fusionhub.jobs", "fusionhub.sandbox"):
        assert name not in modules, name


def test_plugins_list_from_the_cache_imports_neither_framework_nor_plugins() -> None:
    full = imported("plugins", "list", "--json")  # nothing cached yet: the full check, which fills the cache
    assert "fusionhub.registry" in full
    modules = imported("plugins", "list", "--json")
    assert "fusionhub.verdict_cache" in modules  # the control: the command ran
    heavy = {"pydantic", "pluggy", "httpx", "structlog", "rich", "fusionhub.registry", "fusionhub.models"}
    assert not heavy & modules
    assert not {m for m in modules if m.startswith("fusionhub_")}  # no plugin's code
