"""`fusionhub stores add NAME PLATFORM --sandbox`: one fake shop kept in the database for every
process (issue 17, item 6). Each `fusionhub` call below is its own process, as a user types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

CliRunner = Any  # the `fusionhub_cli` fixture of tests/conftest.py

pytest.importorskip("fusionhub_shopify")
pytest.importorskip("fusionhub_etsy")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "FUSIONHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "FUSIONHUB_SECRET_KEYS": Fernet.generate_key().decode(),
    }


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def _result(cli: CliRunner, env: dict[str, str], store: str, capability: str, params: dict[str, Any]) -> Any:
    done = _ok(cli("run", store, capability, "--params", json.dumps(params), "--wait", "--json", env=env))
    job = json.loads(done.stdout)
    assert job["status"] == "succeeded", job
    return job["result"]


@pytest.mark.parametrize("platform", ["shopify", "etsy"])
def test_separate_processes_list_update_and_read_back_the_same_product(
    fusionhub_cli: CliRunner, env: dict[str, str], platform: str
) -> None:
    added = _ok(fusionhub_cli("stores", "add", "try-shop", platform, "--sandbox", env=env))
    assert "try-shop" in added.stdout

    first = _result(fusionhub_cli, env, "try-shop", "list_products", {"limit": 5})["items"][0]
    title = f"Renamed by another process ({platform})"
    _result(fusionhub_cli, env, "try-shop", "update_product", {"product_id": first["id"], "changes": {"title": title}})
    again = _result(fusionhub_cli, env, "try-shop", "get_product", {"product_id": first["id"]})
    assert again["title"] == title and first["title"] != title
    listed = _result(fusionhub_cli, env, "try-shop", "list_products", {"limit": 50})["items"]
    assert title in [p["title"] for p in listed]

    shown = json.loads(_ok(fusionhub_cli("stores", "show", "try-shop", "--json", env=env)).stdout)
    assert shown["sandbox"]["platform"] == platform and shown["sandbox"]["version"] >= 1


def test_two_sandbox_stores_are_two_shops(fusionhub_cli: CliRunner, env: dict[str, str]) -> None:
    for name in ("one", "two"):
        _ok(fusionhub_cli("stores", "add", name, "shopify", "--sandbox", env=env))
    product = _result(fusionhub_cli, env, "one", "list_products", {"limit": 1})["items"][0]
    _result(
        fusionhub_cli, env, "one", "update_product", {"product_id": product["id"], "changes": {"title": "Only one"}}
    )
    assert _result(fusionhub_cli, env, "two", "get_product", {"product_id": product["id"]})["title"] != "Only one"


def test_concurrent_writers_lose_no_write(fusionhub_cli: CliRunner, env: dict[str, str]) -> None:
    """Processes creating products at once in one sandbox shop: every product is there afterwards."""
    _ok(fusionhub_cli("stores", "add", "busy", "shopify", "--sandbox", env=env))
    titles = [f"Concurrent {n}" for n in range(6)]
    procs = [
        subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "fusionhub.cli",
                "run",
                "busy",
                "create_product",
                "--wait",
                "--json",
                "--params",
                json.dumps(
                    {
                        "product": {
                            "title": t,
                            "variants": [{"sku": f"C-{n}", "price": {"amount": "5", "currency": "USD"}}],
                        }
                    }
                ),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}, **env},
        )
        for n, t in enumerate(titles)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        assert json.loads(out)["status"] == "succeeded", out
    listed = _result(fusionhub_cli, env, "busy", "list_products", {"limit": 250})["items"]
    assert set(titles) <= {p["title"] for p in listed}


def test_a_removed_sandbox_store_takes_its_shop_along(fusionhub_cli: CliRunner, env: dict[str, str]) -> None:
    _ok(fusionhub_cli("stores", "add", "gone", "etsy", "--sandbox", env=env))
    _ok(fusionhub_cli("stores", "remove", "gone", "--yes", env=env))
    _ok(fusionhub_cli("stores", "add", "gone", "etsy", "--sandbox", env=env))  # a fresh shop, same name
    listed = json.loads(_ok(fusionhub_cli("stores", "list", "--json", env=env)).stdout)
    assert [(s["name"], s["sandbox"]) for s in listed] == [("gone", True)]


def test_sandbox_store_refusals_are_one_line(fusionhub_cli: CliRunner, env: dict[str, str]) -> None:
    cases = [
        (["stores", "add", "x", "shopify", "--sandbox", "--credential", "access_token=t"], "takes no credentials"),
        (["stores", "add", "x", "nope-platform", "--sandbox"], "nope-platform"),
        (["stores", "add", "x", "twin", "--sandbox"], "offers no sandbox"),
    ]
    for args, words in cases:
        result = fusionhub_cli(*args, env=env)
        assert result.returncode in (1, 2), result.stdout
        assert words in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert json.loads(_ok(fusionhub_cli("stores", "list", "--json", env=env)).stdout) == []
