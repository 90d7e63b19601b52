"""A store's config and credentials against its plugin's manifest: refused when added or updated,
reported with the fix (and refused to run) when a saved store no longer fits, the others unharmed."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture
from runtime_fakes import SLUG, manifest, registry

from fusionhub.contracts import PluginManifest
from fusionhub.errors import ValidationError
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database
from fusionhub.storage.schema import plugin_instances
from fusionhub.stores.checks import config_errors, credential_errors

SCHEMA = {
    "type": "object",
    "required": ["shop"],
    "properties": {
        "shop": {"type": "string", "pattern": "^[a-z0-9-]+\\.shop\\.test$", "description": "the shop's domain"},
        "region": {"type": "string", "enum": ["eu", "us"]},
        "max_age": {"type": "number", "exclusiveMinimum": 0},
        "states": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
    },
}


def fake(**changes: Any) -> PluginManifest:
    return PluginManifest.model_validate({**manifest(), "config_schema": SCHEMA, **changes})


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"config.shop": "required"}),
        ({"shop": "evil.example"}, {"config.shop": "does not match"}),
        ({"shop": "a.shop.test", "base_url": "https://evil.example"}, {"config.base_url": "unknown key"}),
        ({"shop": "a.shop.test", "region": "mars"}, {"config.region": "is not one of"}),
        ({"shop": 5}, {"config.shop": "must be of type string"}),
        ({"shop": "a.shop.test", "max_age": 0}, {"config.max_age": "must be above 0"}),
        ({"shop": "a.shop.test", "states": ["a", "z"]}, {"config.states.1": "is not one of"}),
        ([1], {"config": "must be a JSON object"}),
    ],
)
def test_config_errors_name_the_field_and_why(config: Any, expected: dict[str, str]) -> None:
    errors = config_errors(fake(), config)
    assert {e["loc"] for e in errors} == set(expected)
    for error in errors:
        assert expected[error["loc"]] in error["msg"]


def test_a_long_value_is_cut_in_the_message() -> None:
    [error] = config_errors(fake(), {"shop": "x" * 100_000})
    assert len(error["msg"]) < 300


def test_no_config_schema_means_no_config_keys() -> None:
    assert config_errors(PluginManifest.model_validate(manifest()), {"anything": 1})[0]["loc"] == "config.anything"
    assert config_errors(PluginManifest.model_validate(manifest()), {}) == []


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        ({"type": "object", "additionalProperties": True}, "additionalProperties must be false"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "additionalProperties must be false"),
        ({"type": "array"}, "type must be 'object'"),
        ({"type": "object", "properties": {"x": {"type": "no-such-type"}}}, "not a valid JSON Schema"),
    ],
)
def test_a_manifest_with_an_open_or_broken_config_schema_is_refused(schema: dict[str, Any], why: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=why):
        fake(config_schema=schema)


def test_credentials_one_of_needs_one_non_empty_field_of_each_group() -> None:
    m = fake(credentials_one_of=[{"one_of": ["webhook_secret", "client_secret"], "why": "verifies webhook signatures"}])
    assert credential_errors(m, {"api_key": "k", "client_secret": "s"}) == []
    assert credential_errors(m, {"api_key": "k", "webhook_secret": "w"}) == []
    [error] = credential_errors(m, {"api_key": "k", "client_secret": "  "})
    assert error["loc"] == "credentials.webhook_secret|client_secret"
    assert "webhook_secret or client_secret" in error["msg"] and "verifies webhook signatures" in error["msg"]
    with pytest.raises(pydantic.ValidationError):
        fake(credentials_one_of=[{"one_of": [], "why": "x"}])


# --- through the store service and the runtime ---------------------------------------------------


@pytest.fixture
async def runtime(database: Database) -> AsyncIterator[Runtime]:  # noqa: F811
    reg = registry()
    record = reg.platform(SLUG)
    # The fake plugin, with a config schema and a secret it needs for webhooks.
    object.__setattr__(
        record,
        "manifest",
        fake(credentials_one_of=[{"one_of": ["webhook_secret"], "why": "verifies webhook signatures"}]),
    )
    rt = Runtime(database, registry=reg, keyring=Keyring([Fernet.generate_key().decode()], "test"))
    await rt.register_plugins()
    yield rt
    await rt.hub.aclose()


GOOD = {"api_key": "key-1234567", "webhook_secret": "whsec-1234567"}


async def test_add_and_update_are_refused_with_every_error_at_once(runtime: Runtime) -> None:
    with pytest.raises(ValidationError) as caught:
        await runtime.stores.add("s", SLUG, {"api_key": "key-1234567"}, {"shop": "evil.example", "base_url": "x"})
    assert {e["loc"] for e in caught.value.errors} == {
        "credentials.webhook_secret",
        "config.shop",
        "config.base_url",
    }
    assert await runtime.stores.list() == []
    await runtime.stores.add("s", SLUG, GOOD, {"shop": "a.shop.test"})
    with pytest.raises(ValidationError, match=r"config\.region"):
        await runtime.stores.update_config("s", {"shop": "a.shop.test", "region": "mars"})
    with pytest.raises(ValidationError, match=r"credentials\.webhook_secret"):
        await runtime.stores.update_credentials("s", {"api_key": "key-1234567"})
    merged = await runtime.stores.update_credentials("s", {"api_key": "key-7654321"}, merge=True)
    assert dict((await runtime.stores.load(merged.id)).credentials) == {**GOOD, "api_key": "key-7654321"}


async def test_a_saved_store_that_no_longer_fits_is_reported_and_refused_the_others_run(runtime: Runtime) -> None:
    bad = await runtime.stores.add("bad", SLUG, GOOD, {"shop": "a.shop.test"})
    await runtime.stores.add("good", SLUG, GOOD, {"shop": "b.shop.test"})
    async with runtime.db.write() as conn:  # saved before the plugin tightened its schema, say
        where = plugin_instances.c.store_id == bad.id
        await conn.execute(plugin_instances.update().where(where).values(config={"shop": "evil.example"}))

    [problem] = await runtime.report_store_problems()
    assert problem.store == "bad" and problem.errors[0]["loc"] == "config.shop"
    assert "fusionhub stores update bad --config" in problem.fix

    with pytest.raises(ValidationError) as caught:
        await runtime.enqueue("bad", "get_product", {"product_id": "p1"})
    assert "fusionhub stores update bad" in caught.value.message
    with pytest.raises(ValidationError, match="cannot run"):
        await runtime.context("bad")
    assert (await runtime.context("good")).store.name == "good"
    job = await runtime.enqueue("good", "get_product", {"product_id": "p1"})
    assert [j.id for j in await runtime.queue.list(limit=None)] == [job.id]

    await runtime.stores.update_config("bad", {"shop": "a.shop.test"})  # the fix
    assert await runtime.report_store_problems() == []
    async with runtime.db.read() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(plugin_instances))).scalar_one()
    assert count == 2


def test_the_authoring_guides_config_and_credentials_snippet_is_a_valid_manifest_part() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md").read_text()
    [snippet] = [s for s in re.findall(r"```toml\n(.*?)```", doc, re.DOTALL) if "credentials_one_of" in s]
    m = PluginManifest.model_validate({**manifest(), **tomllib.loads(snippet)})
    assert config_errors(m, {"shop": "example.acme.test"}) == []
    assert config_errors(m, {"shop": "evil.example"})[0]["loc"] == "config.shop"
    assert credential_errors(m, {"access_token": "t"})[0]["loc"] == "credentials.webhook_secret|client_secret"
