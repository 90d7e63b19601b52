"""The exact requests the plugin sends, pinned with respx (no sandbox in between)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.errors import FusionHubError, NotFound, TransientError, ValidationError
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store

API = "https://openapi.etsy.com/v3/application"
SHOP = 5551212
CREDS = {"keystring": "ks123", "shared_secret": "ss456", "access_token": "77.tokenvalue", "refresh_token": "77.refresh"}
RATE = {
    "x-limit-per-second": "10",
    "x-remaining-this-second": "9",
    "x-limit-per-day": "10000",
    "x-remaining-today": "9999",
}


def listing(listing_id: int = 42, **extra: Any) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "shop_id": SHOP,
        "title": "Mug",
        "description": "Blue",
        "state": "draft",
        "quantity": 3,
        "price": {"amount": 2400, "divisor": 100, "currency_code": "USD"},
        "created_timestamp": 1_767_225_600,
        "last_modified_timestamp": 1_767_225_600,
        **extra,
    }


def run_hub(main: Callable[[Hub, Store], Awaitable[Any]]) -> Any:
    clock = VirtualClock()
    hub = Hub(Registry.discover(allow={"etsy"}), clock=clock)
    store = Store("etsy", credentials=CREDS, config={"shop_id": SHOP})
    hub.connect(store)

    async def wrapped() -> Any:
        try:
            return await main(hub, store)
        finally:
            await hub.aclose()

    return clock.run(wrapped())


@respx.mock(assert_all_called=True)
def test_list_products_request(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(
        f"{API}/shops/{SHOP}/listings", params={"state": "active", "limit": "25", "offset": "0"}
    ).mock(return_value=httpx.Response(200, json={"count": 1, "results": [listing(state="active")]}, headers=RATE))
    page = run_hub(lambda hub, store: hub.execute(store, "list_products", {"limit": 25})).value
    request = route.calls.last.request
    assert request.headers["x-api-key"] == "ks123:ss456" and request.headers["authorization"] == "Bearer 77.tokenvalue"
    assert page.items[0].id == "42" and page.next_cursor is None
    assert str(page.items[0].variants[0].price.amount) == "24"


@respx.mock(assert_all_called=True)
def test_create_draft_listing_is_one_form_post(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{API}/shops/{SHOP}/listings").mock(
        return_value=httpx.Response(201, json=listing(), headers=RATE)
    )
    product = {
        "title": "Mug",
        "description": "Blue",
        "tags": ["mug", "blue"],
        "variants": [{"price": {"amount": "24.00", "currency": "USD"}, "inventory_quantity": 3}],
        "platform_fields": {"who_made": "i_did", "when_made": "2020_2025", "taxonomy_id": 1062, "materials": ["clay"]},
    }
    run_hub(lambda hub, store: hub.execute(store, "create_product", {"product": product}))
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content.decode() == (
        "title=Mug&description=Blue&price=24.00&quantity=3&who_made=i_did&when_made=2020_2025"
        "&taxonomy_id=1062&tags=mug&tags=blue&materials=clay"
    )


@respx.mock(assert_all_called=True)
def test_update_listing_is_a_form_patch(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.patch(f"{API}/shops/{SHOP}/listings/42").mock(
        return_value=httpx.Response(200, json=listing(), headers=RATE)
    )
    run_hub(
        lambda hub, store: hub.execute(
            store, "update_product", {"product_id": "42", "changes": {"title": "Big mug", "status": "active"}}
        )
    )
    assert route.calls.last.request.content.decode() == "title=Big+mug&state=active"


@respx.mock(assert_all_called=True)
def test_deactivate_is_state_inactive(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.patch(f"{API}/shops/{SHOP}/listings/42").mock(
        return_value=httpx.Response(200, json=listing(), headers=RATE)
    )
    run_hub(lambda hub, store: hub.execute(store, "delete_product", {"product_id": "42"}))
    assert route.calls.last.request.content.decode() == "state=inactive"


@respx.mock(assert_all_called=True)
def test_inventory_put_replaces_everything_with_one_quantity_changed(respx_mock: respx.MockRouter) -> None:
    current = {
        "products": [
            {
                "product_id": 1,
                "sku": sku,
                "is_deleted": False,
                "property_values": [
                    {"property_id": 513, "property_name": "Size", "scale_id": None, "value_ids": [vid], "values": [sku]}
                ],
                "offerings": [
                    {"offering_id": 9, "quantity": 2, "is_enabled": True, "is_deleted": False, "readiness_state_id": 7,
                     "price": {"amount": 1250, "divisor": 100, "currency_code": "USD"}}
                ],
            }
            for sku, vid in (("S", 11), ("M", 12))
        ],
        "price_on_property": [],
        "quantity_on_property": [513],
        "sku_on_property": [513],
        "readiness_state_on_property": [],
    }  # fmt: skip
    respx_mock.get(f"{API}/listings/42/inventory").mock(return_value=httpx.Response(200, json=current, headers=RATE))
    put = respx_mock.put(f"{API}/listings/42/inventory").mock(
        return_value=httpx.Response(200, json=current, headers=RATE)
    )
    target = {"product_id": "42", "sku": "M", "quantity": 8}
    run_hub(lambda hub, store: hub.execute(store, "update_variant_inventory", {"target": target}))
    sent = json.loads(put.calls.last.request.content)
    assert put.calls.last.request.headers["content-type"] == "application/json"
    assert sent == {
        "products": [
            {
                "sku": sku,
                "property_values": [{"property_id": 513, "property_name": "Size", "value_ids": [vid], "values": [sku]}],
                "offerings": [{"price": 12.5, "quantity": qty, "is_enabled": True, "readiness_state_id": 7}],
            }
            for sku, vid, qty in (("S", 11, 2), ("M", 12, 8))
        ],
        "price_on_property": [],
        "quantity_on_property": [513],
        "sku_on_property": [513],
        "readiness_state_on_property": [],
    }


@respx.mock(assert_all_called=True)
def test_tracking_is_a_form_post(respx_mock: respx.MockRouter) -> None:
    receipt = {
        "receipt_id": 77,
        "is_paid": True,
        "is_shipped": True,
        "status": "completed",
        "transactions": [],
        "shipments": [],
    }
    route = respx_mock.post(f"{API}/shops/{SHOP}/receipts/77/tracking").mock(
        return_value=httpx.Response(200, json=receipt, headers=RATE)
    )
    params = {"order_id": "77", "action": "ship", "tracking": {"number": "LZ123", "carrier": "royal-mail"}}
    run_hub(lambda hub, store: hub.execute(store, "update_order_status", params))
    assert route.calls.last.request.content.decode() == "tracking_code=LZ123&carrier_name=royal-mail"


@respx.mock(assert_all_called=True)
def test_refresh_posts_the_rotation_grant_to_the_token_url(respx_mock: respx.MockRouter) -> None:
    api = respx_mock.get(f"{API}/shops/{SHOP}/receipts/5").mock(
        side_effect=[
            httpx.Response(401, json={"error": "invalid_token"}),
            httpx.Response(200, json={"receipt_id": 5, "transactions": []}),
        ]
    )
    token = respx_mock.post("https://api.etsy.com/v3/public/oauth/token").mock(
        return_value=httpx.Response(
            200, json={"access_token": "77.new", "refresh_token": "77.rotated", "expires_in": 3600}
        )
    )

    async def main(hub: Hub, store: Store) -> None:
        await hub.execute(store, "get_order", {"order_id": "5"})
        assert store.credentials["refresh_token"] == "77.rotated" and store.credentials["access_token"] == "77.new"

    run_hub(main)
    assert (
        token.calls.last.request.content.decode() == "grant_type=refresh_token&refresh_token=77.refresh&client_id=ks123"
    )
    assert api.calls.last.request.headers["authorization"] == "Bearer 77.new"
    assert api.calls.last.request.headers["x-api-key"] == "ks123:ss456"


@pytest.mark.parametrize(("status", "error"), [(404, NotFound), (400, ValidationError), (500, TransientError)])
def test_errors_map_to_the_taxonomy_with_etsys_message(status: int, error: type[FusionHubError]) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/listings/9").mock(return_value=httpx.Response(status, json={"error": "Listing 9 is gone"}))
        with pytest.raises(error, match="Listing 9 is gone"):
            run_hub(lambda hub, store: hub.execute(store, "get_product", {"product_id": "9"}))
