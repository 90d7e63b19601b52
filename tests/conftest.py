"""Cross-package test helpers: run the real `fusionhub` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session", autouse=True)
def _verdict_cache_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`plugins list` keeps its verdicts in this session's directory, not the user's cache."""
    old = os.environ.get("FUSIONHUB_CACHE_DIR")
    os.environ["FUSIONHUB_CACHE_DIR"] = str(tmp_path_factory.mktemp("fusionhub-cache"))
    yield
    if old is None:
        del os.environ["FUSIONHUB_CACHE_DIR"]
    else:
        os.environ["FUSIONHUB_CACHE_DIR"] = old


def _clean_env(overrides: Mapping[str, str] | None) -> dict[str, str]:
    # The caller's own plugin settings must not leak into what a test expects (the session's cache does).
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_") or k == "FUSIONHUB_CACHE_DIR"}
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
