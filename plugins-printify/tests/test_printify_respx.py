"""The exact requests the plugin sends, pinned with respx (no sandbox in between)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError, TransientError
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store

API = "https://api.printify.com/v1"
SHOP = 4242
PID = "5d39b159e7c48c000728c89f"
OID = "5a96f649b2439217d070f507"
CREDS = {"access_token": "pat-123", "webhook_secret": "whs-456"}


def product(**extra: Any) -> dict[str, Any]:
    return {
        "id": PID,
        "title": "Tee",
        "description": "",
        "tags": [],
        "options": [{"name": "Sizes", "type": "size", "values": [{"id": 14, "title": "S"}]}],
        "variants": [
            {"id": 18100, "sku": "T-S", "price": 2400, "is_enabled": True, "is_available": True, "options": [14]}
        ],
        "images": [],
        "created_at": "2026-12-01 10:00:00+00:00",
        "updated_at": "2026-12-01 10:00:00+00:00",
        "is_locked": False,
        "blueprint_id": 12,
        "print_provider_id": 29,
        "shop_id": SHOP,
        **extra,
    }


def run_hub(main: Callable[[Hub, Store], Awaitable[Any]]) -> Any:
    clock = VirtualClock()
    hub = Hub(Registry.discover(allow={"printify"}), clock=clock)
    store = Store("printify", credentials=CREDS, config={"shop_id": SHOP})
    hub.connect(store)

    async def wrapped() -> Any:
        try:
            return await main(hub, store)
        finally:
            await hub.aclose()

    return clock.run(wrapped())


def execute(capability: str, params: dict[str, Any]) -> Any:
    return run_hub(lambda hub, store: hub.execute(store, capability, params)).value


@respx.mock(assert_all_called=True)
def test_list_products_request(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{API}/shops/{SHOP}/products.json", params={"limit": "50", "page": "1"}).mock(
        return_value=httpx.Response(200, json={"current_page": 1, "last_page": 2, "total": 51, "data": [product()]})
    )
    page = execute("list_products", {"limit": 100})
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer pat-123"
    assert request.headers["user-agent"].startswith("fusionhub-printify/")
    assert page.items[0].id == PID and page.next_cursor and page.total == 51


@respx.mock(assert_all_called=True)
def test_create_product_requests(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/catalog/blueprints/12.json").mock(return_value=httpx.Response(200, json={"id": 12}))
    variants = [{"id": 18100, "title": "White / S", "options": {"color": "White", "size": "S"}, "placeholders": []}]
    respx_mock.get(f"{API}/catalog/blueprints/12/print_providers/29/variants.json").mock(
        return_value=httpx.Response(200, json={"id": 29, "variants": variants})
    )
    upload = respx_mock.post(f"{API}/uploads/images.json").mock(
        return_value=httpx.Response(200, json={"id": "u1", "file_name": "logo.png"})
    )
    create = respx_mock.post(f"{API}/shops/{SHOP}/products.json").mock(return_value=httpx.Response(200, json=product()))
    item = {
        "title": "Tee",
        "description": "Soft",
        "variants": [{"options": {"size": "s"}, "price": {"amount": "24.00", "currency": "USD"}}],
        "images": [{"url": "https://cdn.example.com/art/logo.png"}],
        "platform_fields": {"blueprint_id": 12, "print_provider_id": 29},
    }
    execute("create_product", {"product": item})
    assert json.loads(upload.calls.last.request.content) == {
        "file_name": "logo.png",
        "url": "https://cdn.example.com/art/logo.png",
    }
    assert json.loads(create.calls.last.request.content) == {
        "title": "Tee",
        "description": "Soft",
        "blueprint_id": 12,
        "print_provider_id": 29,
        "variants": [{"id": 18100, "price": 2400, "is_enabled": True}],
        "print_areas": [
            {
                "variant_ids": [18100],
                "placeholders": [
                    {"position": "front", "images": [{"id": "u1", "x": 0.5, "y": 0.5, "scale": 1, "angle": 0}]}
                ],
            }
        ],
    }


@respx.mock(assert_all_called=True)
def test_the_publishing_lock_is_a_retryable_error(respx_mock: respx.MockRouter) -> None:
    body = {"status": "error", "code": 8252, "message": "Product is disabled for editing", "errors": {"code": 8252}}
    put = respx_mock.put(f"{API}/shops/{SHOP}/products/{PID}.json").mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(TransientError, match="code 8252") as locked:
        execute("update_product", {"product_id": PID, "changes": {"title": "New"}})
    assert "Product is disabled for editing" in locked.value.message
    assert json.loads(put.calls.last.request.content) == {"title": "New"} and put.call_count == 1


@respx.mock(assert_all_called=True)
def test_publish_and_acknowledge_requests(respx_mock: respx.MockRouter) -> None:
    base = f"{API}/shops/{SHOP}/products/{PID}"
    ack = respx_mock.post(f"{base}/publishing_succeeded.json").mock(return_value=httpx.Response(200, json={}))
    pub = respx_mock.post(f"{base}/publish.json").mock(return_value=httpx.Response(200, json={}))
    respx_mock.get(f"{base}.json").mock(return_value=httpx.Response(200, json=product(is_locked=True)))
    changes = {"status": "active", "platform_fields": {"publishing_succeeded": {"id": "9", "handle": "https://s/9"}}}
    execute("update_product", {"product_id": PID, "changes": changes})
    assert json.loads(ack.calls.last.request.content) == {"external": {"id": "9", "handle": "https://s/9"}}
    assert json.loads(pub.calls.last.request.content) == {
        "title": True,
        "description": True,
        "images": True,
        "variants": True,
        "tags": True,
        "keyFeatures": True,
        "shipping_template": True,
    }


@respx.mock(assert_all_called=True)
def test_delete_send_to_production_and_webhook_requests(respx_mock: respx.MockRouter) -> None:
    respx_mock.delete(f"{API}/shops/{SHOP}/products/{PID}.json").mock(return_value=httpx.Response(200, json={}))
    assert execute("delete_product", {"product_id": PID, "permanent": True}).permanent is True
    respx_mock.post(f"{API}/shops/{SHOP}/orders/{OID}/send_to_production.json").mock(
        return_value=httpx.Response(200, json={"id": OID})
    )
    respx_mock.get(f"{API}/shops/{SHOP}/orders/{OID}.json").mock(
        return_value=httpx.Response(200, json={"id": OID, "status": "sending-to-production", "line_items": []})
    )
    assert execute("update_order_status", {"order_id": OID, "action": "fulfill"}).status.value == "paid"
    hook = {"id": "w1", "topic": "order:created", "url": "https://hub.example.com/h", "shop_id": SHOP}
    create = respx_mock.post(f"{API}/shops/{SHOP}/webhooks.json").mock(return_value=httpx.Response(200, json=hook))
    other = {"id": "w0", "topic": "order:created", "url": "https://elsewhere.example.com/h", "shop_id": SHOP}
    respx_mock.get(f"{API}/shops/{SHOP}/webhooks.json").mock(return_value=httpx.Response(200, json=[other]))
    params = {"action": "subscribe", "topics": ["order:created"], "callback_url": "https://hub.example.com/h"}
    assert [sub.id for sub in execute("webhooks", params).subscriptions] == ["w0", "w1"]
    assert json.loads(create.calls.last.request.content) == {
        "topic": "order:created",
        "url": "https://hub.example.com/h",
        "secret": "whs-456",
    }


@respx.mock(assert_all_called=True)
def test_a_429_is_waited_out_and_a_401_is_an_auth_error(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{API}/shops/{SHOP}/products/{PID}.json").mock(
        side_effect=[
            httpx.Response(
                429, json={"status": "error", "message": "Too Many Attempts."}, headers={"Retry-After": "2"}
            ),
            httpx.Response(200, json=product()),
        ]
    )
    assert execute("get_product", {"product_id": PID}).id == PID and route.call_count == 2
    respx_mock.get(f"{API}/shops/{SHOP}/orders/{OID}.json").mock(
        return_value=httpx.Response(401, json={"status": "error", "message": "Unauthenticated."})
    )
    with pytest.raises(AuthError) as refused:
        execute("get_order", {"order_id": OID})
    assert "pat-123" not in str(refused.value)
