"""`fusionhub worker` refuses options out of range; `fusionhub run --wait` runs its own job and no other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fusionhub.cli import cli
from fusionhub.sandbox.credentials import SANDBOX_ACCESS_TOKEN

pytest.importorskip("fusionhub_example", reason="the CLI tests connect stores of the example fixture plugin")
CONFIG = '{"base_url": "https://example-shop.invalid"}'


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUSIONHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("FUSIONHUB_SECRET_KEYS", raising=False)
    monkeypatch.setenv("FUSIONHUB_SECRET_KEY_FILE", str(tmp_path / "keys"))
    monkeypatch.setenv("FUSIONHUB_SANDBOX", "1")  # stores reach the example plugin's sandbox
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def as_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--lease", "0"), ("--lease", "-5"), ("--lease", "1"), ("--lease", "nan"), ("--concurrency", "0")],
)
def test_worker_options_out_of_range_are_refused_before_it_starts(env: Path, option: str, value: str) -> None:
    result = invoke("worker", option, value)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and "Traceback" not in result.output
    assert not (env / "cli.db").exists()  # refused before the database was even opened


def test_run_wait_runs_its_own_job_and_leaves_the_others_queued(env: Path) -> None:
    for name in ("shop", "other"):
        token = f"access_token={SANDBOX_ACCESS_TOKEN}"
        as_json("stores", "add", name, "example", "--credential", token, "--config", CONFIG)
    elsewhere = as_json("run", "other", "list_products", "--params", "{}")
    same_store_later = as_json("run", "shop", "list_products", "--params", "{}", "--key", "later")
    mine = as_json("run", "shop", "list_products", "--params", "{}", "--wait")
    assert mine["status"] == "succeeded", mine
    assert as_json("jobs", "show", elsewhere["id"])["status"] == "queued"
    assert as_json("jobs", "show", same_store_later["id"])["status"] == "queued"
