"""A manifest's `[[connect]]` tables are checked when it loads: each mistake is refused with its reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from fusionhub.connect import ConnectFlow
from fusionhub.contracts import PluginManifest
from fusionhub.registry import Registry

OAUTH: dict[str, Any] = {
    "id": "install",
    "kind": "oauth",
    "title": "Install",
    "authorize_url": "https://{shop}/oauth/authorize",
    "token_url": "https://{shop}/oauth/token",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "fields": [
        {"name": "shop", "into": "config", "label": "Shop"},
        {"name": "client_id", "label": "Client ID"},
        {"name": "client_secret", "label": "Client secret", "secret": True},
    ],
}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"authorize_url": "https://{tenant}/oauth/authorize"}, "authorize placeholders name no field: tenant"),
        ({"authorize_query": {"client_id": "{client_id}"}}, "authorize_query must carry {state}"),
        ({"token_url": None}, "needs token_url"),
        ({"token_url": "https://{region}/token"}, "token_url placeholders name no field: region"),
        ({"client_secret": "secret"}, "client_secret names no field"),
        ({"callback_hmac": {"param": "hmac"}, "client_secret": None}, "name the client_id and client_secret fields"),
        ({"name_from": "nickname"}, "name_from names no field"),
        ({"fields": [{"name": "shop", "label": "a"}, {"name": "shop", "label": "b"}]}, "two fields share a name"),
        ({"fields": [{"name": "Shop", "label": "a"}]}, "fields.0.name"),
        ({"fields": [{"name": "ids", "label": "a", "is_list": True}]}, "is_list is for config values"),
        ({"fields": [{"name": "x", "label": "a", "pattern": "("}]}, "missing ), unterminated subpattern"),
    ],
)
def test_a_flow_that_cannot_run_is_refused(change: dict[str, Any], said: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(said)):
        ConnectFlow.model_validate(OAUTH | change)


def _shopify(**changes: Any) -> dict[str, Any]:
    manifest = Registry.discover(allow={"shopify"}).platform("shopify").manifest
    assert manifest is not None
    return manifest.model_dump(mode="json", by_alias=True, exclude_unset=True) | changes


def test_the_manifest_checks_its_flows_against_its_config_and_capabilities() -> None:
    shopify = _shopify()
    PluginManifest.model_validate(shopify)
    unknown = dict(shopify["connect"][0], callback_config={"tenant": "shop"})
    with pytest.raises(ValidationError, match="connect flow install: tenant is no config setting"):
        PluginManifest.model_validate(_shopify(connect=[unknown]))
    twice = [shopify["connect"][0], shopify["connect"][0]]
    with pytest.raises(ValidationError, match="two connect flows share an id"):
        PluginManifest.model_validate(_shopify(connect=twice))
    refunds = dict(shopify["connect"][0], check="process_refund")
    capabilities = dict(shopify["capabilities"])
    capabilities["process_refund"] = {"level": "unsupported", "explanation": "not here"}
    with pytest.raises(ValidationError, match="check process_refund is unsupported"):
        PluginManifest.model_validate(_shopify(connect=[refunds], capabilities=capabilities))
