"""Issue 12, Etsy's part: no config key sends the credentials elsewhere, the config schema says what is
read (and the plugin checks shop_id where it uses it), and a malformed answer is transient."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fusionhub.errors import ErrorCategory, TransientError, ValidationError
from fusionhub.stores import Store
from fusionhub_etsy.listing_forms import WHEN_MADE, WHO_MADE
from fusionhub_etsy.plugin import fusionhub_manifest as manifest
from fusionhub_etsy.products import LISTING_STATES

SCHEMA = Draft202012Validator(manifest().config_schema)
DEFAULTS = {"who_made": "i_did", "when_made": "made_to_order", "taxonomy_id": 1062}


def _listing(run: Any) -> dict[str, str]:
    return {"product_id": str(next(iter(run.sandbox.world.listings)))}


def test_a_base_url_in_the_store_config_does_not_move_the_requests(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    config = {**run.sandbox.store_config(), "base_url": "https://evil.example/v3/application/"}
    store = Store("etsy", credentials=run.store.credentials, config=config, name="tampered")
    run.hub.connect(store, transport=run.wire)
    run.clock.run(run.hub.execute(store, "get_product", _listing(run)))
    assert {r.url.host for r in run.wire.requests} == {"openapi.etsy.com"}


@pytest.mark.parametrize(
    "config",
    [
        {"shop_id": 31_415_926},
        {"shop_id": 1, "allow_permanent_delete": True, "listing_defaults": DEFAULTS, "poll_listing_states": ["draft"]},
    ],
)
def test_the_schema_accepts_what_the_plugin_reads(config: dict[str, Any]) -> None:
    assert list(SCHEMA.iter_errors(config)) == []


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"shop_id": 1, "base_url": "https://evil.example/"}, []),  # no key may name a host
        ({"shop_id": "abc"}, ["shop_id"]),
        ({"shop_id": "123"}, ["shop_id"]),
        ({"shop_id": 0}, ["shop_id"]),
        ({"shop_id": True}, ["shop_id"]),
        ({"shop_id": 2**63}, ["shop_id"]),
        ({}, []),
        ({"shop_id": 1, "listing_defaults": {"who_made": "a robot"}}, ["listing_defaults", "who_made"]),
        ({"shop_id": 1, "listing_defaults": {"price": 3}}, ["listing_defaults"]),  # only the three are read
        ({"shop_id": 1, "listing_defaults": {"taxonomy_id": "1062"}}, ["listing_defaults", "taxonomy_id"]),
        ({"shop_id": 1, "poll_listing_states": ["all"]}, ["poll_listing_states", 0]),
        ({"shop_id": 1, "allow_permanent_delete": "yes"}, ["allow_permanent_delete"]),
    ],
)
def test_the_schema_refuses_the_rest(config: dict[str, Any], where: list[str | int]) -> None:
    errors = list(SCHEMA.iter_errors(config))
    assert [list(e.absolute_path) for e in errors] == [where]


def test_the_schemas_lists_are_the_plugins() -> None:
    properties = manifest().config_schema["properties"]
    defaults = properties["listing_defaults"]["properties"]
    assert tuple(defaults["who_made"]["enum"]) == WHO_MADE and tuple(defaults["when_made"]["enum"]) == WHEN_MADE
    assert tuple(properties["poll_listing_states"]["items"]["enum"]) == LISTING_STATES


@pytest.mark.parametrize("shop_id", ["abc", "123", True, 0, -5, 2**63, None])
def test_shop_id_is_checked_before_it_goes_into_a_url(etsy_run, shop_id: object) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(config={"shop_id": shop_id})
    with pytest.raises(ValidationError) as refused:
        run.clock.run(run.execute("list_products", {}))
    assert refused.value.errors[0]["loc"] == "store.config.shop_id"
    assert run.wire.requests == []


@pytest.mark.parametrize("capability", ["list_orders", "get_product"])
def test_a_malformed_answer_is_transient_and_a_retry_succeeds(etsy_run, capability: str) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    run.sandbox.faults.inject("malformed")
    with pytest.raises(TransientError) as caught:
        run.clock.run(run.execute(capability, _listing(run) if capability == "get_product" else {}))
    assert caught.value.category is ErrorCategory.TRANSIENT and "not a JSON object" in caught.value.message
    assert run.clock.run(run.execute("get_product", _listing(run))).value.id == _listing(run)["product_id"]


@pytest.mark.parametrize(
    ("capability", "params", "loc"),
    [
        ("get_product", {"product_id": "12/../../shops/1"}, "params.product_id"),
        ("get_product", {"product_id": "١٢"}, "params.product_id"),  # digits, but not ASCII ones
        ("delete_product", {"product_id": "9" * 20}, "params.product_id"),  # over int64
        ("get_order", {"order_id": "0"}, "params.order_id"),
        ("get_inventory", {"skus": ["SKU-1"]}, "params.product_id"),  # Etsy has no lookup by SKU alone
        ("get_inventory", {"product_id": "x1"}, "params.product_id"),
        ("update_variant_inventory", {"target": {"sku": "SKU-1", "quantity": 1}}, "params.target.product_id"),
    ],
)
def test_ids_from_params_are_checked_before_they_go_into_a_url(  # type: ignore[no-untyped-def]
    etsy_run, capability: str, params: dict[str, Any], loc: str
) -> None:
    run = etsy_run()
    with pytest.raises(ValidationError) as refused:
        run.clock.run(run.execute(capability, params))
    assert [e["loc"] for e in refused.value.errors] == [loc] and "positive integer" in refused.value.errors[0]["msg"]
    assert run.wire.requests == []
