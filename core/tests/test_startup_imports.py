"""A command imports what it needs (issue 18): `--version` none of the framework, `plugins list`
no database or web library (rich comes with httpx when it is installed; test_discovery.py checks
that `--json` works without it). Read from `python -X importtime`, in a fresh process."""

from __future__ import annotations

import subprocess
import sys


def imported(*args: str) -> set[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-m", "fusionhub.cli", *args], capture_output=True, text=True, check=True
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


def test_version_imports_none_of_the_framework() -> None:
    modules = imported("--version")
    assert "fusionhub.cli" in modules  # the control: importtime saw the command's imports
    heavy = {"pydantic", "httpx", "pluggy", "structlog", "fusionhub.models", "fusionhub.hub", "fusionhub.registry"}
    assert not heavy & modules


def test_plugins_list_json_imports_no_database_web_or_table_library() -> None:
    modules = imported("plugins", "list", "--json")
    assert "fusionhub.registry" in modules
    for name in ("sqlalchemy", "alembic", "starlette", "fusionhub.storage", "fusionhub.jobs", "fusionhub.sandbox"):
        assert name not in modules, name
