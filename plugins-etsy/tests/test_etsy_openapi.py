"""The OpenAPI check itself: it must reject what Etsy's document rejects, and accept the sandbox's shapes."""

from __future__ import annotations

import json

import httpx
import pytest
from etsy_openapi_check import SPEC_NAME, Spec, load_spec, strict, validate
from openapi_schema_validator import OAS30Validator

from fusionhub.testing.specs import require_spec
from fusionhub.testing.traffic import Exchange

BASE = "https://openapi.etsy.com/v3/application"
HEADERS = {"x-api-key": "key:secret", "authorization": "Bearer 1.abc"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def spec() -> Spec:
    require_spec(SPEC_NAME, __file__)  # skips locally, fails under CI when absent
    found = load_spec()
    assert found is not None
    return found


def check(spec: Spec, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> list[str]:
    return validate(spec, Exchange(method, url, {**HEADERS, **(headers or {})}, body))


def test_a_valid_request_passes(spec: Spec) -> None:
    assert check(spec, "GET", f"{BASE}/shops/1/listings?state=active&limit=100&offset=0") == []


@pytest.mark.parametrize(
    ("method", "url", "body", "fragment"),
    [
        ("GET", f"{BASE}/shops/1/nothing", b"", "no operation"),
        ("POST", f"{BASE}/listings/1", b"", "no operation"),
        ("GET", f"{BASE}/shops/1/listings?limit=101", b"", "maximum"),
        ("GET", f"{BASE}/shops/1/listings?state=gone", b"", "is not one of"),
        ("GET", f"{BASE}/shops/1/listings?colour=red", b"", "undeclared query parameter"),
        ("GET", f"{BASE}/shops/0/listings", b"", "minimum"),
        ("POST", f"{BASE}/shops/1/listings", b"title=x&quantity=1", "required property"),
        ("PATCH", f"{BASE}/shops/1/listings/2", b"state=gone", "is not one of"),
        ("PATCH", f"{BASE}/shops/1/listings/2", b"price=3", "Additional properties"),
    ],
)
def test_departures_are_reported(spec: Spec, method: str, url: str, body: bytes, fragment: str) -> None:
    errors = check(spec, method, url, body, FORM if body else None)
    assert errors and any(fragment in e for e in errors), errors


def test_inventory_put_needs_every_required_offering_field(spec: Spec) -> None:
    body = {
        "products": [
            {"sku": "A", "property_values": [], "offerings": [{"price": 1.0, "quantity": 1, "is_enabled": True}]}
        ]
    }
    errors = check(
        spec, "PUT", f"{BASE}/listings/2/inventory", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    assert any("readiness_state_id" in e for e in errors)


def test_missing_api_secret_and_token_are_reported(spec: Spec) -> None:
    errors = validate(spec, Exchange("GET", f"{BASE}/shops/1/receipts", {"x-api-key": "keyonly"}, b""))
    assert any("keystring:shared_secret" in e for e in errors) and any("bearer" in e for e in errors)


def test_token_form_is_checked(spec: Spec) -> None:
    url = "https://api.etsy.com/v3/public/oauth/token"
    good = b"grant_type=refresh_token&client_id=k&refresh_token=r"
    assert validate(spec, Exchange("POST", url, FORM, good)) == []
    assert validate(spec, Exchange("POST", url, FORM, b"grant_type=refresh_token&client_id=k"))


@pytest.mark.parametrize(
    ("operation", "schema"),
    [
        ("getListing", "ShopListingWithAssociations"),
        ("getListingInventory", "ListingInventory"),
        ("getShopReceipt", "ShopReceipt"),
    ],
)
def test_sandbox_answers_in_the_documents_shapes(spec: Spec, etsy_run, operation: str, schema: str) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    sandbox = run.sandbox
    listing_id = next(iter(sandbox.world.listings))
    receipt_id = next(iter(sandbox.world.receipts))
    path = {
        "getListing": f"listings/{listing_id}?includes=Images&includes=Inventory",
        "getListingInventory": f"listings/{listing_id}/inventory",
        "getShopReceipt": f"shops/{sandbox.world.shop_id}/receipts/{receipt_id}",
    }[operation]
    creds = sandbox.credentials()
    headers = {
        "x-api-key": f"{creds['keystring']}:{creds['shared_secret']}",
        "authorization": f"Bearer {creds['access_token']}",
    }
    response = sandbox.handle(httpx.Request("GET", f"{BASE}/{path}", headers=headers))
    assert response.status_code == 200
    body = json.loads(response.content)
    errors = list(OAS30Validator(strict(spec.resolve(spec.doc["components"]["schemas"][schema]))).iter_errors(body))
    assert not errors, [e.message for e in errors[:5]]
