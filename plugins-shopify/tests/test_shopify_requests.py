"""Exact requests, pinned with respx: URL, headers, document, variables, cost; and error mapping."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from fusionhub import (
    AuthError,
    Hub,
    NotFound,
    RateLimited,
    Registry,
    Store,
    TransientError,
    ValidationError,
    VirtualClock,
)
from fusionhub.http import RequestMeta
from fusionhub_shopify.config import DEFAULT_API_VERSION
from fusionhub_shopify.cost import requested_cost
from fusionhub_shopify.documents import bulk_document, document

SHOP = "pin-shop.myshopify.com"
TOKEN = "shpat_pinned_token"
URL = f"https://{SHOP}/admin/api/{DEFAULT_API_VERSION}/graphql.json"
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 10,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990.0, "restoreRate": 100.0},
}


def run(body: Callable[[Hub, Store], Awaitable[Any]], **config: Any) -> Any:
    clock = VirtualClock()
    hub = Hub(Registry.discover(allow={"shopify"}), clock=clock)
    store = Store(
        platform="shopify", credentials={"access_token": TOKEN}, config={"shop": SHOP, "currency": "EUR", **config}
    )
    hub.connect(store)

    async def main() -> Any:
        try:
            return await body(hub, store)
        finally:
            await hub.aclose()

    return clock.run(main())


def sent(call: Any) -> dict[str, Any]:
    return json.loads(call.request.content)  # type: ignore[no-any-return]


def answer(data: dict[str, Any], cost: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": {"cost": cost or COST}})


PRODUCT = {
    "id": "gid://shopify/Product/1",
    "title": "Tee",
    "descriptionHtml": "",
    "status": "ACTIVE",
    "vendor": "V",
    "productType": "",
    "handle": "tee",
    "tags": [],
    "createdAt": "2026-01-01T00:00:00Z",
    "updatedAt": "2026-01-01T00:00:00Z",
    "options": [{"name": "Title", "values": ["Default Title"]}],
    "variants": {
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [
            {
                "id": "gid://shopify/ProductVariant/2",
                "sku": "TEE",
                "title": "Default Title",
                "price": "12.50",
                "compareAtPrice": None,
                "barcode": None,
                "inventoryQuantity": 4,
                "availableForSale": True,
                "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                "inventoryItem": {"id": "gid://shopify/InventoryItem/3"},
            },
        ],
    },
}


@respx.mock
def test_list_products_sends_the_products_document_sized_to_the_cost_budget() -> None:
    route = respx.post(URL).mock(
        return_value=answer({"products": {"pageInfo": {"hasNextPage": True, "endCursor": "c2"}, "nodes": [PRODUCT]}})
    )
    page = run(
        lambda hub, store: hub.execute(store, "list_products", {"limit": 250, "status": "ACTIVE", "cursor": "c1"})
    ).value
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    body = sent(route.calls.last)
    assert body["operationName"] == "Products"
    assert body["query"] == document("Products").text
    assert body["variables"] == {"first": 29, "after": "c1", "query": "status:active", "variantsFirst": 10}
    meta = RequestMeta.of(request)
    assert meta.cost == requested_cost(body["query"], body["variables"]) == 988 and meta.operation == "Products"
    assert page.next_cursor == "c2"
    [product] = page.items
    assert product.options == [] and product.variants[0].options == {}
    assert str(product.variants[0].price) == "12.50 EUR" and product.variants[0].inventory_item_id.endswith("/3")


@respx.mock
def test_delete_archives_by_default_and_deletes_only_when_permanent() -> None:
    route = respx.post(URL).mock(
        side_effect=[
            answer({"productUpdate": {"product": {**PRODUCT, "status": "ARCHIVED"}, "userErrors": []}}),
            answer({"productDelete": {"deletedProductId": "gid://shopify/Product/1", "userErrors": []}}),
        ]
    )

    async def body(hub: Hub, store: Store) -> None:
        archived = (await hub.execute(store, "delete_product", {"product_id": "1"})).value
        deleted = (await hub.execute(store, "delete_product", {"product_id": "1", "permanent": True})).value
        assert (archived.permanent, deleted.permanent) == (False, True)

    run(body)
    first, second = (sent(c) for c in route.calls)
    assert first["operationName"] == "ProductUpdate"
    assert first["variables"]["product"] == {"id": "gid://shopify/Product/1", "status": "ARCHIVED"}
    assert second["operationName"] == "ProductDelete" and second["variables"] == {"id": "gid://shopify/Product/1"}


def _set_inventory(version: str) -> dict[str, Any]:
    url = f"https://{SHOP}/admin/api/{version}/graphql.json"
    with respx.mock:
        route = respx.post(url).mock(
            return_value=answer(
                {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": {"createdAt": "2026-01-01T00:00:00Z"},
                        "userErrors": [],
                    }
                }
            )
        )
        target = {"inventory_item_id": "3", "location_id": "9", "quantity": 5}
        level = run(
            lambda hub, store: hub.execute(store, "update_variant_inventory", {"target": target}), api_version=version
        ).value
        assert level.available == 5 and level.location_id == "gid://shopify/Location/9"
        return sent(route.calls.last)


def test_inventory_set_uses_the_2025_01_input() -> None:
    body = _set_inventory("2025-01")
    assert body["query"] == document("InventorySetQuantities", "2025-01").text
    assert body["variables"] == {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "fusionhub://sync",
        "quantities": [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/3",
                "locationId": "gid://shopify/Location/9",
                "quantity": 5,
            }
        ],
    }


def test_inventory_set_uses_change_from_quantity_from_2026_04() -> None:
    body = _set_inventory("2026-04")
    assert body["query"] == document("InventorySetQuantities", "2026-04").text
    assert body["variables"]["quantities"] == [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/3",
            "locationId": "gid://shopify/Location/9",
            "quantity": 5,
            "changeFromQuantity": None,
        }
    ]


@respx.mock
def test_user_errors_become_validation_errors_with_field_paths() -> None:
    respx.post(URL).mock(
        return_value=answer(
            {
                "productUpdate": {
                    "product": None,
                    "userErrors": [{"field": ["title"], "message": "Title can't be blank"}],
                }
            }
        )
    )
    with pytest.raises(ValidationError) as caught:
        run(lambda hub, store: hub.execute(store, "update_product", {"product_id": "1", "changes": {"vendor": "X"}}))
    assert caught.value.errors == [{"loc": "changes.title", "msg": "Title can't be blank"}]


@respx.mock
def test_throttled_becomes_rate_limited_with_the_wait_the_bucket_needs() -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 304,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 104.0, "restoreRate": 100.0},
            }
        },
    }
    respx.post(URL).mock(return_value=httpx.Response(200, json=throttled))

    async def body(hub: Hub, store: Store) -> None:
        with pytest.raises(RateLimited) as caught:
            await hub.execute(store, "get_product", {"product_id": "1"})
        assert caught.value.retry_after == pytest.approx((304 - 104) / 100)
        assert hub.context(store).limiter.stats.throttled == 1

    run(body)


@respx.mock
def test_rejected_token_is_an_auth_error_that_does_not_show_the_token() -> None:
    respx.post(URL).mock(return_value=httpx.Response(401, json={"errors": "[API] Invalid API key or access token"}))
    with pytest.raises(AuthError) as caught:
        run(lambda hub, store: hub.execute(store, "get_product", {"product_id": "1"}))
    assert TOKEN not in f"{caught.value} {caught.value!r} {caught.value.to_dict()}"


@respx.mock
def test_queries_are_retried_on_5xx_mutations_never() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(503))

    async def body(hub: Hub, store: Store) -> None:
        with pytest.raises(TransientError):
            await hub.execute(store, "get_order", {"order_id": "1"})
        assert route.call_count == 4  # the core's retry policy: four tries of an idempotent request
        with pytest.raises(TransientError):
            await hub.execute(store, "delete_product", {"product_id": "1", "permanent": True})
        assert route.call_count == 5  # a mutation is sent once: it may have applied

    run(body)


@respx.mock
def test_malformed_body_is_transient() -> None:
    respx.post(URL).mock(return_value=httpx.Response(200, content=b'{"data": {'))
    with pytest.raises(TransientError, match="malformed"):
        run(lambda hub, store: hub.execute(store, "get_order", {"order_id": "1"}))


@respx.mock
def test_bulk_update_uploads_jsonl_to_the_staged_target_without_the_shop_token() -> None:
    upload_url = "https://shopify-staged-uploads.storage.googleapis.com/"
    respx.post(URL).mock(
        side_effect=[
            answer(
                {
                    "stagedUploadsCreate": {
                        "stagedTargets": [
                            {
                                "url": upload_url,
                                "resourceUrl": None,
                                "parameters": [
                                    {"name": "key", "value": "tmp/1/bulk/abc/bulk_op_vars.jsonl"},
                                    {"name": "policy", "value": "p"},
                                ],
                            }
                        ],
                        "userErrors": [],
                    }
                }
            ),
            answer(
                {
                    "bulkOperationRunMutation": {
                        "bulkOperation": {
                            "id": "gid://shopify/BulkOperation/5",
                            "type": "MUTATION",
                            "status": "CREATED",
                            "errorCode": None,
                            "createdAt": "2026-01-01T00:00:00Z",
                            "completedAt": None,
                            "objectCount": "0",
                            "rootObjectCount": "0",
                            "url": None,
                            "partialDataUrl": None,
                        },
                        "userErrors": [],
                    }
                }
            ),
        ]
    )
    upload = respx.post(upload_url).respond(201)
    items = [{"product_id": "1", "changes": {"title": "One"}}, {"product_id": "2", "changes": {"tags": ["a"]}}]
    result = run(lambda hub, store: hub.execute(store, "bulk_update", {"items": items})).value
    assert result.operation.operation_id == "gid://shopify/BulkOperation/5" and result.total == 2
    request = upload.calls.last.request
    assert "x-shopify-access-token" not in {k.lower() for k in request.headers}
    content = request.content
    assert b'name="key"' in content and b"tmp/1/bulk/abc/bulk_op_vars.jsonl" in content
    assert (
        b'{"product":{"id":"gid://shopify/Product/1","title":"One"}}\n{"product":{"id":"gid://shopify/Product/2","tags":["a"]}}\n'
        in content
    )
    run_call = sent(respx.calls[-1]) if respx.calls[-1].request.url == URL else sent(respx.calls[-2])
    assert run_call["variables"]["mutation"] == bulk_document("UpdateProduct").text
    assert run_call["variables"]["stagedUploadPath"] == "tmp/1/bulk/abc/bulk_op_vars.jsonl"


@respx.mock
def test_a_changed_api_version_takes_effect_on_the_next_call() -> None:
    old = respx.post(URL).mock(return_value=answer({"order": None}))
    new = respx.post(f"https://{SHOP}/admin/api/2026-04/graphql.json").mock(return_value=answer({"order": None}))

    async def body(hub: Hub, store: Store) -> None:
        with pytest.raises(NotFound):
            await hub.execute(store, "get_order", {"order_id": "1"})
        store.config["api_version"] = "2026-04"  # the host edits the store's settings
        with pytest.raises(NotFound):
            await hub.execute(store, "get_order", {"order_id": "2"})
        assert (old.call_count, new.call_count) == (1, 1)

    run(body)
