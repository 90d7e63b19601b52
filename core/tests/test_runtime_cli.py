"""The runtime's commands, run in-process with click's runner against a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from fusionhub.cli import cli

pytest.importorskip("fusionhub_example", reason="the CLI tests connect stores of the example fixture plugin")
CONFIG = '{"base_url": "https://example-shop.invalid"}'


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUSIONHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("FUSIONHUB_SECRET_KEYS", raising=False)
    monkeypatch.setenv("FUSIONHUB_SECRET_KEY_FILE", str(tmp_path / "keys"))
    monkeypatch.delenv("FUSIONHUB_SANDBOX", raising=False)
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def as_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_stores_lifecycle_and_key_rotation(env: Path) -> None:
    added = as_json("stores", "add", "shop", "example", "--credential", "access_token=tok-secret-1", "--config", CONFIG)
    assert added["platform"] == "example" and added["enabled"] is True
    assert (env / "keys").stat().st_mode & 0o777 == 0o600  # generated on first use, private
    refused = invoke("stores", "add", "other", "example", "--credential", "wrong=1", "--config", CONFIG)
    assert refused.exit_code == 1 and "credentials.access_token" in refused.output
    assert [s["name"] for s in as_json("stores", "list")] == ["shop"]
    shown = as_json("stores", "show", "shop")
    assert shown["credential_fields"] == ["access_token"] and "tok-secret-1" not in json.dumps(shown)
    assert as_json("stores", "disable", "shop")["enabled"] is False
    assert as_json("stores", "enable", "shop")["enabled"] is True

    rotated = as_json("keys", "rotate")
    assert rotated == {"stores": 1, "keys": 2, "source": f"key file {env / 'keys'}"}
    assert len((env / "keys").read_text().split()) == 2
    assert as_json("stores", "show", "shop")["credential_fields"] == ["access_token"]  # still decrypts

    assert invoke("stores", "remove", "shop", "--yes").exit_code == 0
    assert as_json("stores", "list") == []


def test_wrong_key_is_a_clear_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_json("stores", "add", "shop", "example", "--credential", "access_token=tok", "--config", CONFIG)
    monkeypatch.setenv("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    result = invoke("stores", "show", "shop")
    assert result.exit_code == 1 and "cannot decrypt" in result.output and "FUSIONHUB_SECRET_KEYS" in result.output


def test_run_jobs_and_cancel(env: Path) -> None:
    as_json("stores", "add", "shop", "example", "--credential", "access_token=tok", "--config", CONFIG)
    failed = invoke("run", "shop", "sync_inventory", "--params", '{"levels": [{"sku": "A", "quantity": 1}]}', "--wait")
    assert failed.exit_code == 1 and "not supported" in failed.output  # refused at once: nothing queued, no request
    queued = as_json("run", "shop", "get_product", "--params", '{"product_id": "p1"}', "--key", "k1")
    again = as_json("run", "shop", "get_product", "--params", '{"product_id": "p2"}', "--key", "k1")
    assert queued["status"] == "queued" and again["id"] == queued["id"]
    listed = as_json("jobs", "list")
    assert [j["capability"] for j in listed] == ["get_product"]
    assert as_json("jobs", "show", queued["id"])["params"] == {"product_id": "p1"}
    assert as_json("jobs", "cancel", queued["id"])["status"] == "cancelled"
    assert [j["id"] for j in as_json("jobs", "list", "--status", "cancelled")] == [queued["id"]]
    assert as_json("jobs", "prune") == {"deleted": 0, "days": 30.0}  # finished just now: kept
    assert as_json("jobs", "prune", "--days", "0") == {"deleted": 1, "days": 0.0}
    assert as_json("jobs", "list") == []
    refused = invoke("jobs", "prune", "--days", "-1")
    assert refused.exit_code == 2 and "--days" in refused.output


def test_db_upgrade_reports_the_head(env: Path) -> None:
    first = as_json("db", "upgrade")
    assert first["from"] is None and first["to"] == first["head"]
    assert as_json("db", "upgrade")["from"] == first["head"]


def test_demo_runs_every_installed_sandbox_and_exits_0(env: Path) -> None:
    from fusionhub.registry import Registry

    with_sandbox = sorted(
        slug for slug, record in Registry.discover().platforms.items() if "fusionhub_sandbox" in record.impls
    )
    runs = as_json("demo")
    assert [r["slug"] for r in runs] == with_sandbox
    for run in runs:
        assert run["error"] is None, run
        steps = {s["name"]: s for s in run["steps"]}
        assert steps["product sync"]["status"] == "succeeded"
        assert all(s["status"] in {"succeeded", "skipped"} for s in run["steps"]), run["steps"]
        assert run["requests"] > 0
