"""`plugins show --json` and `plugins list --json` say what a store needs (config schema,
credential fields, hosts) and each capability's notes, `once` and fan-out."""

from __future__ import annotations

import json

from click.testing import CliRunner

from fusionhub.cli import cli
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT

ENV = {ENV_LOAD: None, ENV_DISABLE: None, ENV_STRICT: None}


def test_show_json_has_config_schema_credentials_and_notes() -> None:
    result = CliRunner().invoke(cli, ["plugins", "show", "example", "--json"], env=ENV, catch_exceptions=False)
    entry = json.loads(result.output)
    assert entry["config_schema"]["required"] == ["base_url"]
    assert entry["config_schema"]["properties"]["base_url"] == {"type": "string", "format": "uri"}
    assert entry["credential_fields"] == ["access_token"]
    assert entry["credentials_one_of"] == [] and entry["hosts"] == []
    delete = entry["capabilities"]["delete_product"]
    assert delete["notes"].startswith("Archives by default") and delete["once"] == "natural"
    assert entry["capabilities"]["create_product"]["once"] == "reconcile"
    assert entry["capabilities"]["get_product"]["fan_out"] is None


def test_list_json_carries_the_same_for_every_plugin() -> None:
    result = CliRunner().invoke(cli, ["plugins", "list", "--json"], env=ENV, catch_exceptions=False)
    listing = {p["slug"]: p for p in json.loads(result.output) if p["status"] == "loaded" and p["kind"] == "platform"}
    assert listing["example"]["credential_fields"] == ["access_token"]
    (unloadable,) = [p for p in json.loads(result.output) if p["slug"] == "broken-import"]
    assert unloadable["config_schema"] is None and unloadable["credential_fields"] is None  # no manifest read
