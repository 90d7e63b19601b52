"""The exact requests the plugin sends, pinned with respx (no sandbox in between), and how answers map."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError, FusionHubError, NotFound, PlatformError, TransientError, ValidationError
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store

API = "https://api.gumroad.com/v2"
TOKEN = "gr-token-0123456789abcdef"
SECRET = "whsec-" + "k" * 40
PRODUCT_ID = "cHJvZHVjdC0wMDAwMQ=="  # Gumroad ids are URL-safe base64, often padded


def product_json(**extra: Any) -> dict[str, Any]:
    return {"id": PRODUCT_ID, "name": "Ebook", "price": 999, "currency": "usd", "published": True, **extra}


def sale_json(**extra: Any) -> dict[str, Any]:
    return {
        "id": "c2FsZS0x",
        "email": "b@example.test",
        "created_at": "2026-11-30T10:00:00Z",
        "product_id": PRODUCT_ID,
        "product_name": "Ebook",
        "price": 999,
        "currency_symbol": "$",
        "refunded": False,
        "partially_refunded": False,
        "quantity": 1,
        "order_id": 1234,
        **extra,
    }


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


def run_hub(main: Callable[[Hub, Store], Awaitable[Any]], config: dict[str, Any] | None = None) -> Any:
    clock = VirtualClock()
    hub = Hub(Registry.discover(allow={"gumroad"}), clock=clock)
    store = Store("gumroad", credentials={"access_token": TOKEN, "webhook_secret": SECRET}, config=config or {})
    hub.connect(store)

    async def wrapped() -> Any:
        try:
            return await main(hub, store)
        finally:
            await hub.aclose()

    return clock.run(wrapped())


def execute(capability: str, params: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
    return run_hub(lambda hub, store: hub.execute(store, capability, params), config).value


def refused(capability: str, params: dict[str, Any], config: dict[str, Any] | None = None) -> FusionHubError:
    with pytest.raises(FusionHubError) as caught:
        execute(capability, params, config)
    return caught.value


@respx.mock(assert_all_called=True)
def test_list_products_pages_by_page_key_and_limit(respx_mock: respx.MockRouter) -> None:
    first = [product_json(id=f"p{n}") for n in range(10)]
    route = respx_mock.get(f"{API}/products").mock(
        side_effect=[
            httpx.Response(200, json={"success": True, "products": first, "next_page_key": "k-10"}),
            httpx.Response(200, json={"success": True, "products": first, "next_page_key": "k-10"}),
            httpx.Response(200, json={"success": True, "products": [product_json(id="p10")]}),
        ]
    )
    page = execute("list_products", {"limit": 4})
    assert [p.id for p in page.items] == ["p0", "p1", "p2", "p3"]
    rest = execute("list_products", {"limit": 50, "cursor": page.next_cursor})
    assert [p.id for p in rest.items] == [f"p{n}" for n in range(4, 10)]  # the rest of that page
    last = execute("list_products", {"limit": 50, "cursor": rest.next_cursor})
    assert [p.id for p in last.items] == ["p10"] and last.next_cursor is None
    sent = [call.request for call in route.calls]
    assert [r.url.params.get("page_key") for r in sent] == [None, None, "k-10"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in sent)
    assert "access_token" not in str(sent[0].url)  # the token travels in the header only


@respx.mock(assert_all_called=True)
def test_get_product_keeps_the_id_one_path_segment(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{API}/products/{PRODUCT_ID}").mock(
        return_value=httpx.Response(200, json={"success": True, "product": product_json(tags=["pdf"])})
    )
    product = execute("get_product", {"product_id": PRODUCT_ID})
    assert product.id == PRODUCT_ID and product.status.value == "active" and product.tags == ["pdf"]
    assert str(product.variants[0].price.amount) == "9.99" and product.variants[0].price.currency == "USD"
    assert route.calls.last.request.url.raw_path.decode() == f"/v2/products/{PRODUCT_ID}"


@respx.mock
def test_a_traversing_id_cannot_reach_another_endpoint(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(url__regex=r".*").mock(
        return_value=httpx.Response(200, json={"success": False, "message": "The product was not found."})
    )
    assert isinstance(refused("get_product", {"product_id": "../sales"}), NotFound)
    assert route.calls.last.request.url.raw_path.decode() == "/v2/products/..%2Fsales"


@respx.mock(assert_all_called=True)
def test_create_product_is_one_form_post_then_publish(respx_mock: respx.MockRouter) -> None:
    created = respx_mock.post(f"{API}/products").mock(
        return_value=httpx.Response(200, json={"success": True, "product": product_json(published=False)})
    )
    enabled = respx_mock.put(f"{API}/products/{PRODUCT_ID}/enable").mock(
        return_value=httpx.Response(200, json={"success": True, "product": product_json()})
    )
    product = {
        "title": "Ebook",
        "description": "<p>hi</p>",
        "status": "active",
        "tags": ["pdf", "guide"],
        "variants": [{"price": {"amount": "9.99", "currency": "EUR"}}],
        "platform_fields": {"custom_permalink": "ebook"},
    }
    result = execute("create_product", {"product": product})
    assert result.status.value == "active"
    assert form(created.calls.last.request) == {
        "name": ["Ebook"],
        "price": ["999"],
        "price_currency_type": ["eur"],
        "description": ["<p>hi</p>"],
        "tags[]": ["pdf", "guide"],
        "custom_permalink": ["ebook"],
    }
    assert enabled.called


@respx.mock
def test_create_refuses_what_gumroad_cannot_take_before_any_request(respx_mock: respx.MockRouter) -> None:
    price = {"amount": "1", "currency": "USD"}
    cases = [
        ({"title": "x"}, "params.product.variants.0.price"),
        ({"title": "x", "variants": [{"price": {"amount": "1.001", "currency": "USD"}}]}, "variants.0.price"),
        ({"title": "x", "variants": [{"price": price}], "platform_fields": {"url": "x"}}, "platform_fields.url"),
        ({"title": "x", "variants": [{"price": price}, {"price": price}]}, "params.product.variants"),
    ]
    for product, loc in cases:
        error = refused("create_product", {"product": product})
        assert isinstance(error, ValidationError) and loc in error.errors[0]["loc"]
    assert not respx_mock.calls


@respx.mock(assert_all_called=True)
def test_a_404_on_create_says_the_account_lacks_the_endpoint(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{API}/products").mock(return_value=httpx.Response(404, text="Not Found"))
    price = {"amount": "1", "currency": "USD"}
    error = refused("create_product", {"product": {"title": "x", "variants": [{"price": price}]}})
    assert isinstance(error, PlatformError) and "not available for this Gumroad account" in error.message


@respx.mock(assert_all_called=True)
def test_update_404_route_missing_vs_product_missing(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put(f"{API}/products/{PRODUCT_ID}").mock(
        side_effect=[
            httpx.Response(404, text="<html>The page you were looking for doesn't exist.</html>"),
            httpx.Response(404, json={"success": False, "message": "The product was not found."}),
            httpx.Response(200, json={"success": False, "message": "The product was not found."}),
        ]
    )
    params = {"product_id": PRODUCT_ID, "changes": {"title": "New"}}
    missing_route = refused("update_product", params)
    assert isinstance(missing_route, PlatformError) and "not available" in missing_route.message
    assert isinstance(refused("update_product", params), NotFound)
    assert isinstance(refused("update_product", params), NotFound)  # Gumroad's usual: HTTP 200, success false
    assert form(route.calls.last.request) == {"name": ["New"]}


@respx.mock(assert_all_called=True)
def test_a_status_change_alone_uses_enable_disable_which_every_account_has(respx_mock: respx.MockRouter) -> None:
    disabled = respx_mock.put(f"{API}/products/{PRODUCT_ID}/disable").mock(
        return_value=httpx.Response(200, json={"success": True, "product": product_json(published=False)})
    )
    product = execute("update_product", {"product_id": PRODUCT_ID, "changes": {"status": "archived"}})
    assert product.status.value == "inactive" and disabled.call_count == 1
    assert len(respx_mock.calls) == 1  # no PUT /products/:id


@respx.mock(assert_all_called=True)
def test_delete_archives_and_deletes_only_when_the_store_allows(respx_mock: respx.MockRouter) -> None:
    disabled = respx_mock.put(f"{API}/products/{PRODUCT_ID}/disable").mock(
        return_value=httpx.Response(200, json={"success": True, "product": product_json(published=False)})
    )
    deleted = respx_mock.delete(f"{API}/products/{PRODUCT_ID}").mock(
        return_value=httpx.Response(200, json={"success": True, "message": "The product was deleted successfully."})
    )
    assert execute("delete_product", {"product_id": PRODUCT_ID}).permanent is False and disabled.called
    error = refused("delete_product", {"product_id": PRODUCT_ID, "permanent": True})
    assert isinstance(error, ValidationError) and error.errors[0]["loc"] == "params.permanent"
    assert not deleted.called
    done = execute("delete_product", {"product_id": PRODUCT_ID, "permanent": True}, {"allow_permanent_delete": True})
    assert done.permanent is True and deleted.call_count == 1


@respx.mock(assert_all_called=True)
def test_list_orders_asks_by_day_and_maps_sales(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{API}/sales").mock(
        return_value=httpx.Response(
            200,
            json={
                "success": True,
                "sales": [
                    sale_json(),
                    sale_json(id="early", created_at="2026-11-30T01:00:00Z", currency_symbol="€", refunded=True),
                ],
            },
        )
    )
    page = execute("list_orders", {"limit": 10, "created_since": "2026-11-30T08:00:00Z"}, {"currency": "CAD"})
    assert route.calls.last.request.url.params["after"] == "2026-11-30"
    assert [o.id for o in page.items] == ["c2FsZS0x"]  # the sale earlier that day is left out
    order = page.items[0]
    assert order.total.currency == "CAD" and str(order.total.amount) == "9.99"  # "$": the store's currency
    assert order.status.value == "paid" and order.name == "#1234"


@respx.mock
def test_order_filters_gumroad_lacks_are_refused(respx_mock: respx.MockRouter) -> None:
    for params in ({"status": "paid"}, {"updated_since": "2026-01-01T00:00:00Z"}):
        assert isinstance(refused("list_orders", params), ValidationError)
    assert isinstance(refused("list_orders", {"cursor": "not-ours"}), ValidationError)
    assert not respx_mock.calls


@respx.mock(assert_all_called=True)
def test_ship_only_with_a_tracking_url(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put(f"{API}/sales/c2FsZS0x/mark_as_shipped").mock(
        return_value=httpx.Response(200, json={"success": True, "sale": sale_json(shipped=True)})
    )
    tracking = {"number": "1Z", "url": "https://track.example/1Z"}
    order = execute("update_order_status", {"order_id": "c2FsZS0x", "action": "ship", "tracking": tracking})
    assert order.status.value == "shipped" and form(route.calls.last.request) == {"tracking_url": [tracking["url"]]}
    for action in ("cancel", "fulfill", "mark_paid", "close"):
        error = refused("update_order_status", {"order_id": "c2FsZS0x", "action": action})
        assert isinstance(error, ValidationError) and "only mark a sale as shipped" in error.errors[0]["msg"]
    error = refused("update_order_status", {"order_id": "c2FsZS0x", "action": "ship", "tracking": {"number": "1Z"}})
    assert error.errors[0]["loc"] == "params.tracking.url"  # type: ignore[attr-defined]
    assert route.call_count == 1


@respx.mock(assert_all_called=True)
def test_refund_whole_or_partial_in_cents(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put(f"{API}/sales/c2FsZS0x/refund").mock(
        side_effect=[
            httpx.Response(200, json={"success": True, "sale": sale_json(partially_refunded=True)}),
            httpx.Response(200, json={"success": True, "sale": sale_json(refunded=True)}),
            httpx.Response(200, json={"success": False, "message": "Purchase is already refunded."}),
        ]
    )
    part = execute("process_refund", {"order_id": "c2FsZS0x", "amount": {"amount": "1.50", "currency": "USD"}})
    assert form(route.calls[0].request) == {"amount_cents": ["150"]} and str(part.amount.amount) == "1.50"
    whole = execute("process_refund", {"order_id": "c2FsZS0x"})
    assert route.calls[1].request.content == b"" and str(whole.amount.amount) == "9.99"
    error = refused("process_refund", {"order_id": "c2FsZS0x"})
    assert isinstance(error, ValidationError) and "Purchase is already refunded." in error.message
    lines = refused("process_refund", {"order_id": "c2FsZS0x", "lines": [{"line_id": "1", "quantity": 1}]})
    assert isinstance(lines, ValidationError) and route.call_count == 3


@respx.mock(assert_all_called=True)
def test_subscribe_puts_the_secret_in_the_post_url_and_never_shows_it(respx_mock: respx.MockRouter) -> None:
    held: list[dict[str, str]] = []  # Gumroad's subscriptions, as its API keeps them

    def put(request: httpx.Request) -> httpx.Response:
        held.append({"id": f"rs{len(held)}", **{k: v[0] for k, v in form(request).items()}})
        return httpx.Response(200, json={"success": True, "resource_subscription": held[-1]})

    def get(request: httpx.Request) -> httpx.Response:
        mine = [h for h in held if h["resource_name"] == request.url.params["resource_name"]]
        return httpx.Response(200, json={"success": True, "resource_subscriptions": mine})

    subscribed = respx_mock.put(f"{API}/resource_subscriptions").mock(side_effect=put)
    respx_mock.get(f"{API}/resource_subscriptions").mock(side_effect=get)
    params = {"action": "subscribe", "topics": ["sale", "refund"], "callback_url": "https://hub.example/wh/s1?store=s1"}
    result = execute("webhooks", params)
    sent = [form(call.request) for call in subscribed.calls]
    assert [s["resource_name"] for s in sent] == [["sale"], ["refund"]]
    post_url = urlsplit(sent[0]["post_url"][0])
    assert parse_qs(post_url.query) == {"store": ["s1"], "secret": [SECRET]}
    assert [s.callback_url for s in result.subscriptions] == ["https://hub.example/wh/s1?store=s1"] * 2
    assert SECRET not in repr(result)
    again = execute("webhooks", params)  # already there: kept, not made twice
    assert subscribed.call_count == 2 and [s.id for s in again.subscriptions] == ["rs0", "rs1"]
    listed = execute("webhooks", {"action": "list"})  # every resource, one request each
    assert [s.topic for s in listed.subscriptions] == ["sale", "refund"]


@respx.mock
def test_subscribe_needs_an_unguessable_secret_and_a_clean_callback(respx_mock: respx.MockRouter) -> None:
    params = {"action": "subscribe", "topics": ["sale"], "callback_url": "https://hub.example/wh"}
    short = run_hub(lambda hub, store: _with_secret(hub, store, "short", params))
    assert isinstance(short, AuthError) and "at least 32 characters" in short.message
    for callback, topics in (("https://hub.example/wh?secret=x", ["sale"]), ("ftp://x/y", ["sale"])):
        error = refused("webhooks", {**params, "callback_url": callback, "topics": topics})
        assert isinstance(error, ValidationError) and error.errors[0]["loc"] == "params.callback_url"
    unknown = refused("webhooks", {**params, "topics": ["sale", "order"]})
    assert isinstance(unknown, ValidationError) and unknown.errors[0]["loc"] == "params.topics.1"
    assert not respx_mock.calls


async def _with_secret(hub: Hub, store: Store, secret: str, params: dict[str, Any]) -> FusionHubError:
    weak = Store("gumroad", credentials={"access_token": TOKEN, "webhook_secret": secret}, id="weak")
    hub.connect(weak)
    try:
        await hub.execute(weak, "webhooks", params)
    except FusionHubError as error:
        return error
    raise AssertionError("a short webhook secret must be refused")


@respx.mock(assert_all_called=True)
def test_gumroad_echoing_the_post_url_does_not_leak_the_secret(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/resource_subscriptions").mock(
        return_value=httpx.Response(200, json={"success": True, "resource_subscriptions": []})
    )
    respx_mock.put(f"{API}/resource_subscriptions").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"success": False, "message": f"Invalid post URL '{form(request)['post_url'][0]}'"}
        )
    )
    params = {"action": "subscribe", "topics": ["sale"], "callback_url": "https://hub.example/wh"}
    error = refused("webhooks", params)
    assert isinstance(error, ValidationError) and "Invalid post URL" in error.message
    assert SECRET not in error.message and SECRET not in repr(error)


@respx.mock(assert_all_called=True)
def test_statuses_map_to_the_taxonomy(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/sales/x").mock(
        side_effect=[
            httpx.Response(401, json={"error": "invalid_token"}),
            httpx.Response(400, json={"status": 400, "error": "Invalid sale id."}),
        ]
    )
    assert isinstance(refused("get_order", {"order_id": "x"}), AuthError)
    bad = refused("get_order", {"order_id": "x"})
    assert isinstance(bad, ValidationError) and "Invalid sale id." in bad.message


def test_store_settings_are_checked() -> None:
    for config in ({"currency": "usd"}, {"base_url": "https://evil.example"}, {"allow_permanent_delete": "yes"}):
        error = refused("get_order", {"order_id": "x"}, config)
        assert isinstance(error, ValidationError) and error.errors[0]["loc"].startswith("config.")


@respx.mock(assert_all_called=True)
def test_refunds_and_subscriptions_are_never_resent_reads_are(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/resource_subscriptions").mock(
        return_value=httpx.Response(200, json={"success": True, "resource_subscriptions": []})
    )
    refund = respx_mock.put(f"{API}/sales/c2FsZS0x/refund").mock(return_value=httpx.Response(503))
    subscribe = respx_mock.put(f"{API}/resource_subscriptions").mock(return_value=httpx.Response(503))
    read = respx_mock.get(f"{API}/sales/c2FsZS0x").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"success": True, "sale": sale_json()})]
    )
    assert isinstance(refused("process_refund", {"order_id": "c2FsZS0x"}), TransientError)
    params = {"action": "subscribe", "topics": ["sale"], "callback_url": "https://hub.example/wh"}
    assert isinstance(refused("webhooks", params), TransientError)
    assert refund.call_count == 1 and subscribe.call_count == 1  # a PUT that may have been applied: not resent
    assert execute("get_order", {"order_id": "c2FsZS0x"}).id == "c2FsZS0x" and read.call_count == 2
