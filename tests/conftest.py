"""Cross-package test helpers: run the real `fusionhub` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pytest

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def _clean_env(overrides: Mapping[str, str] | None) -> dict[str, str]:
    # The caller's own plugin settings must not leak into what a test expects.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    env.update(overrides or {})
    env.setdefault("COLUMNS", "200")
    return env


@pytest.fixture
def fusionhub_cli() -> CliRunner:
    """`fusionhub_cli("plugins", "list", "--json", env={...})` → CompletedProcess (text)."""

    def run(*args: str, env: Mapping[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-m", "fusionhub.cli", *args],
            capture_output=True,
            text=True,
            env=_clean_env(env),
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def plugins_json(fusionhub_cli: CliRunner) -> Callable[..., list[dict[str, Any]]]:
    """`plugins list --json` parsed, after checking it exited 0."""

    def run(env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        result = fusionhub_cli("plugins", "list", "--json", env=env)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert isinstance(data, list)
        return data

    return run


@pytest.fixture(scope="session")
def installed_plugins() -> list[dict[str, Any]]:
    """`fusionhub plugins list --json` of the test environment as it is, run once per session."""
    result = subprocess.run(
        [sys.executable, "-m", "fusionhub.cli", "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        env=_clean_env(None),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data
