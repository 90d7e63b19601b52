"""`stores check`, `stores show`, `stores list`, `events list` and `jobs list` as a person reads
them (header rows, local times, summaries) and as scripts read them (`--json`)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from fusionhub.cli import cli
from fusionhub.runtime import Runtime
from fusionhub.sandbox import SignsDeliveries
from fusionhub.secrets import Keyring

pytest.importorskip("fusionhub_shopify")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return {
        "FUSIONHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "FUSIONHUB_SECRET_KEYS": Fernet.generate_key().decode(),
        "FUSIONHUB_SANDBOX": "1",  # a store added with credentials reaches the sandbox, never Shopify
    }


def invoke(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def as_json(env: dict[str, str | None], *args: str) -> Any:
    result = invoke(env, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_check_says_whether_the_platform_answers(env: dict[str, str | None]) -> None:
    invoke(env, "stores", "add", "kept", "shopify", "--sandbox")
    ok = invoke(env, "stores", "check", "kept")
    assert ok.exit_code == 0 and ok.output.startswith("ok: kept (shopify) answered list_products in "), ok.output
    assert as_json(env, "stores", "check", "kept")["ok"] is True

    wrong = ["--credential", "access_token=fhtest-not-the-token-31f9", "--credential", "client_secret=fhtest-cs-77a1"]
    config = json.dumps({"shop": "sandbox-shop.myshopify.com"})
    assert invoke(env, "stores", "add", "wrong", "shopify", *wrong, "--config", config).exit_code == 0
    failed = invoke(env, "stores", "check", "wrong")
    assert failed.exit_code == 1 and failed.output.startswith("failed: wrong (shopify): auth: "), failed.output
    assert "fhtest-not-the-token-31f9" not in failed.output
    assert invoke(env, "stores", "check", "nope").exit_code == 1


def test_list_and_show_have_headers_and_local_times(env: dict[str, str | None]) -> None:
    invoke(env, "stores", "add", "kept", "shopify", "--sandbox")
    lines = invoke(env, "stores", "list").output.splitlines()
    assert lines[0].split() == ["NAME", "PLATFORM", "STATE", "ADDED", "ID"]
    added = as_json(env, "stores", "show", "kept")["created_at"]
    local = datetime.fromtimestamp(added).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert "kept" in lines[1] and "shopify (sandbox)" in lines[1] and local in lines[1]
    shown = invoke(env, "stores", "show", "kept").output
    assert f"added:        {local}" in shown and "sandbox:" in shown and "credentials:  access_token" in shown


def test_events_list_shows_a_delivered_webhook(env: dict[str, str | None]) -> None:
    assert invoke(env, "events", "list").output.startswith("no events yet")
    store_id = as_json(env, "stores", "add", "kept", "shopify", "--sandbox")["id"]

    async def deliver() -> None:
        keys = Keyring([str(env["FUSIONHUB_SECRET_KEYS"])], "the test's keys")
        runtime = await Runtime.open(str(env["FUSIONHUB_DATABASE_URL"]), keyring=keys)
        try:
            sandbox = await runtime.sandboxes.current(store_id)
            assert isinstance(sandbox, SignsDeliveries)
            delivery = sandbox.signed_delivery()
            await runtime.events.ingest("kept", delivery.headers, delivery.body)
        finally:
            await runtime.aclose()

    asyncio.run(deliver())
    lines = invoke(env, "events", "list", "--store", "kept").output.splitlines()
    assert lines[0].split() == ["RECEIVED", "STORE", "TYPE", "RESOURCE", "SOURCE", "TOPIC"]
    assert "kept" in lines[1] and "webhook" in lines[1] and "orders/create" in lines[1]
    [event] = as_json(env, "events", "list")
    assert event["store"] == "kept" and event["topic"] == "orders/create"


def test_run_summarizes_a_page_and_jobs_list_has_headers(env: dict[str, str | None]) -> None:
    invoke(env, "stores", "add", "kept", "shopify", "--sandbox")
    page = invoke(env, "run", "kept", "list_products", "--params", '{"limit": 2}', "--wait").output.splitlines()
    assert page[1].strip() == "2 items" and page[2].split() == ["ID", "NAME", "STATUS", "UPDATED"]
    assert any("next page: --params" in line for line in page) and page[-1].strip() == "(--json shows the whole result)"
    listed = invoke(env, "jobs", "list").output.splitlines()
    assert listed[0].split() == ["ID", "STORE", "CAPABILITY", "STATUS", "ITEMS", "CREATED", "ERROR"]
    assert "kept" in listed[1] and "succeeded" in listed[1]
