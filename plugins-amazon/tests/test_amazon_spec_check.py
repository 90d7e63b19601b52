"""The SP-API model check itself refuses what departs from the models (else every other test proves nothing)."""

from __future__ import annotations

import json

import pytest
from amazon_spec_check import Models, load, validate

from fusionhub.testing.specs import require_spec
from fusionhub.testing.traffic import Exchange

HOST = "https://sellingpartnerapi-na.amazon.com"
SEARCH = f"{HOST}/listings/2021-08-01/items/A2SANDBOXSELLER1?marketplaceIds=ATVPDKIKX0DER"


@pytest.fixture
def models() -> Models:
    require_spec("amazon/listingsItems_2021-08-01.json", __file__)
    found = load()
    assert found is not None
    return found


def request(method: str, url: str, body: object = None, **headers: str) -> Exchange:
    return Exchange(method, url, headers, b"" if body is None else json.dumps(body).encode())


def test_a_valid_search_passes(models: Models) -> None:
    assert validate(models, request("GET", SEARCH + "&pageSize=20&includedData=summaries,offers")) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (SEARCH + "&pageSize=21", "maximum 20"),
        (SEARCH + "&includedData=summaries,prices", "not in"),
        (SEARCH + "&limit=5", "'limit' is not declared"),
        (f"{HOST}/listings/2021-08-01/items/A2SANDBOXSELLER1", "'marketplaceIds' is missing"),
        (f"{HOST}/listings/2021-08-01/products/A2SANDBOXSELLER1", "no operation"),
        ("https://sellingpartnerapi.example.com/listings/2021-08-01/items/X", "does not declare"),
    ],
)
def test_departures_are_named(models: Models, url: str, problem: str) -> None:
    found = validate(models, request("GET", url))
    assert any(problem in p for p in found), found


def test_bodies_are_checked_strictly(models: Models) -> None:
    url = f"{HOST}/listings/2021-08-01/items/A2SANDBOXSELLER1/SKU-1?marketplaceIds=ATVPDKIKX0DER"
    patch = {"op": "merge", "path": "/attributes/fulfillment_availability", "value": [{"quantity": 1}]}
    assert validate(models, request("PATCH", url, {"productType": "PRODUCT", "patches": [patch]})) == []
    assert any("non-empty" in p for p in validate(models, request("PATCH", url, {"productType": "P", "patches": []})))
    missing = validate(models, request("PATCH", url, {"patches": [patch]}))
    assert any("'productType' is a required property" in p for p in missing)
    extra = validate(
        models, request("PATCH", url, {"productType": "X", "patches": [patch], "mode": "VALIDATION_PREVIEW"})
    )
    assert any("Additional properties" in p for p in extra)


def test_token_forms_and_feed_documents(models: Models) -> None:
    form = b"grant_type=refresh_token&refresh_token=r&client_id=c"
    token = Exchange("POST", "https://api.amazon.com/auth/o2/token", {}, form)
    assert validate(models, token) == ["token request (refresh_token) lacks client_secret"]
    good = {
        "header": {"sellerId": "A1", "version": "2.0"},
        "messages": [{"messageId": 1, "sku": "S", "operationType": "DELETE"}],
    }
    url = "https://tortuga-prod-na.s3-external-1.amazonaws.com/NinetyDays/doc"
    assert validate(models, request("PUT", url, good)) == []
    bad = {"header": {"sellerId": "A1", "version": "1.0"}, "messages": []}
    assert len(validate(models, request("PUT", url, bad))) >= 2
    leaked = validate(models, request("PUT", url, good, **{"x-amz-access-token": "Atza|x"}))
    assert leaked == ["a credential was sent to a signed document URL"]
