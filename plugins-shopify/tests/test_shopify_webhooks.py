"""Incoming webhooks: signed deliveries become events; tampered, forged, foreign and stale ones are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fusionhub import AuthError, Store, ValidationError, VirtualClock
from fusionhub.models import EventType
from fusionhub_shopify import plugin
from fusionhub_shopify.sandbox import ShopifySandbox
from fusionhub_shopify.webhooks import signature

SECRET = "shpss_test_secret"


def _store(sandbox: ShopifySandbox, **config: object) -> Store:
    return Store(platform="shopify", credentials=sandbox.credentials(), config={**sandbox.store_config(), **config})


def parse(store: Store, headers: dict[str, str], body: bytes) -> list:  # type: ignore[type-arg]
    clock = VirtualClock()
    return clock.run(plugin.fusionhub_parse_webhook(store=store, headers=headers, body=body))


@pytest.fixture
def sandbox() -> ShopifySandbox:
    return ShopifySandbox(VirtualClock(), products=1, orders=0)


@pytest.mark.parametrize(
    ("topic", "payload", "kind", "resource"),
    [
        (
            "products/create",
            {"id": 7, "admin_graphql_api_id": "gid://shopify/Product/7"},
            EventType.PRODUCT_CREATED,
            "gid://shopify/Product/7",
        ),
        ("products/delete", {"id": 7}, EventType.PRODUCT_DELETED, "gid://shopify/Product/7"),
        (
            "orders/paid",
            {"id": 9, "admin_graphql_api_id": "gid://shopify/Order/9"},
            EventType.ORDER_PAID,
            "gid://shopify/Order/9",
        ),
        ("orders/cancelled", {"id": 9}, EventType.ORDER_CANCELLED, "gid://shopify/Order/9"),
        (
            "inventory_levels/update",
            {"inventory_item_id": 5, "location_id": 1, "available": 3},
            EventType.INVENTORY_UPDATED,
            "gid://shopify/InventoryItem/5",
        ),
        ("refunds/create", {"id": 11, "order_id": 9}, EventType.REFUND_CREATED, "gid://shopify/Refund/11"),
        (
            "bulk_operations/finish",
            {"admin_graphql_api_id": "gid://shopify/BulkOperation/3", "status": "completed"},
            EventType.OPERATION_FINISHED,
            "gid://shopify/BulkOperation/3",
        ),
        (
            "app/uninstalled",
            {"id": 1, "domain": "sandbox-shop.myshopify.com"},
            EventType.APP_UNINSTALLED,
            "gid://shopify/Shop/1",
        ),
    ],
)
def test_signed_delivery_becomes_a_normalized_event(
    sandbox: ShopifySandbox, topic: str, payload: dict, kind: EventType, resource: str
) -> None:  # type: ignore[type-arg]
    headers, body = sandbox.signed(topic, payload, webhook_id="delivery-1")
    [event] = parse(_store(sandbox), headers, body)
    assert event.type is kind
    assert event.resource_id == resource
    assert event.delivery_id == "delivery-1" and event.topic == topic and event.platform == "shopify"
    assert event.payload == payload


def test_header_names_are_case_insensitive(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/create", {"id": 1})
    [event] = parse(_store(sandbox), {k.lower(): v for k, v in headers.items()}, body)
    assert event.type is EventType.ORDER_CREATED


def test_tampered_body_is_refused(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/paid", {"id": 1, "total_price": "10.00"})
    with pytest.raises(AuthError, match="signature"):
        parse(_store(sandbox), headers, body.replace(b"10.00", b"0.01"))


def test_forged_signature_is_refused(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/paid", {"id": 1}, secret="not-the-app-secret")
    with pytest.raises(AuthError):
        parse(_store(sandbox), headers, body)
    del headers["X-Shopify-Hmac-Sha256"]
    with pytest.raises(AuthError):
        parse(_store(sandbox), headers, body)


def test_delivery_for_another_shop_is_refused(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/paid", {"id": 1})
    headers["X-Shopify-Shop-Domain"] = "other-shop.myshopify.com"
    with pytest.raises(AuthError, match="another shop"):
        parse(_store(sandbox), headers, body)


def test_replayed_delivery_keeps_its_delivery_id_so_the_host_drops_it(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/paid", {"id": 1})
    first = parse(_store(sandbox), headers, body)
    again = parse(_store(sandbox), dict(headers), body)
    assert first[0].delivery_id == again[0].delivery_id == headers["X-Shopify-Webhook-Id"]


def test_a_replay_in_another_process_carries_the_same_replay_key(
    sandbox: ShopifySandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that saw the first delivery is gone (nothing in memory): the key from the signature
    still names it, and the hub's events table keeps one event per key."""
    from fusionhub.plugin import SYSTEM_CLOCK, SeenDeliveries
    from fusionhub_shopify.webhooks import events

    headers, body = sandbox.signed("orders/paid", {"id": 7})
    first = parse(_store(sandbox), headers, body)[0]
    monkeypatch.setattr(events, "SEEN", SeenDeliveries(SYSTEM_CLOCK, ttl=events.REPLAY_WINDOW))  # a new process
    rewritten = {**headers, "X-Shopify-Webhook-Id": "d-rewritten"}
    again = parse(_store(sandbox), rewritten, body)[0]
    assert again.delivery_id == "d-rewritten" and again.replay_key == first.replay_key is not None


def test_stale_delivery_is_refused_when_a_max_age_is_set(sandbox: ShopifySandbox) -> None:
    store = _store(sandbox, webhook_max_age_seconds=3600)
    body = json.dumps({"id": 1}).encode()
    old = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    fresh = datetime.now(UTC).isoformat()
    headers = {
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": sandbox.shop,
        "X-Shopify-Webhook-Id": "d-1",
        "X-Shopify-Hmac-Sha256": signature.sign(body, sandbox.auth.client_secret),
    }
    with pytest.raises(AuthError, match="replayed"):
        parse(store, {**headers, "X-Shopify-Triggered-At": old}, body)
    assert parse(store, {**headers, "X-Shopify-Triggered-At": fresh}, body)[0].delivery_id == "d-1"


def test_malformed_body_or_missing_headers_are_validation_errors(sandbox: ShopifySandbox) -> None:
    body = b"not json"
    headers = {
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": sandbox.shop,
        "X-Shopify-Webhook-Id": "d-2",
        "X-Shopify-Hmac-Sha256": signature.sign(body, sandbox.auth.client_secret),
    }
    with pytest.raises(ValidationError):
        parse(_store(sandbox), headers, body)
    del headers["X-Shopify-Webhook-Id"]
    with pytest.raises(ValidationError):
        parse(_store(sandbox), headers, body)


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    # Known answer: computed independently with `openssl dgst -sha256 -hmac key -binary | base64`.
    assert signature.sign(b'{"id":1}', "key") == "yVxqfCx8dh6YTGjPZLS8qT8HJCkAqv27Mo07t1qw3LA="


def test_triggered_at_becomes_the_event_time_and_a_bad_one_is_ignored(sandbox: ShopifySandbox) -> None:
    headers, body = sandbox.signed("orders/create", {"id": 1})
    [event] = parse(_store(sandbox), headers, body)
    assert event.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)  # the sandbox's virtual clock start
    [event] = parse(_store(sandbox), {**headers, "X-Shopify-Triggered-At": "yesterday"}, body)
    assert event.occurred_at is None


def test_a_store_without_a_secret_refuses_even_a_delivery_signed_with_nothing(sandbox: ShopifySandbox) -> None:
    body = json.dumps({"id": 1}).encode()
    headers = {
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": sandbox.shop,
        "X-Shopify-Webhook-Id": "d-empty",
        "X-Shopify-Hmac-Sha256": signature.sign(body, ""),  # anyone can compute this
    }
    credentials = {k: v for k, v in sandbox.credentials().items() if k not in ("client_secret", "webhook_secret")}
    for secretless in (credentials, {**credentials, "client_secret": "", "webhook_secret": ""}):
        store = Store(platform="shopify", credentials=secretless, config=sandbox.store_config())
        with pytest.raises(AuthError, match="No webhook secret is configured"):
            parse(store, headers, body)


def test_webhook_secret_takes_precedence_over_client_secret(sandbox: ShopifySandbox) -> None:
    store = Store(
        platform="shopify",
        credentials={**sandbox.credentials(), "webhook_secret": "whsec-separate-secret"},
        config=sandbox.store_config(),
    )
    headers, body = sandbox.signed("orders/paid", {"id": 2}, secret="whsec-separate-secret")
    assert parse(store, headers, body)[0].type is EventType.ORDER_PAID
    headers, body = sandbox.signed("orders/paid", {"id": 3})  # signed with the client secret
    with pytest.raises(AuthError, match="signature"):
        parse(store, headers, body)


def test_a_replay_under_rewritten_unsigned_headers_is_the_first_delivery_again(sandbox: ShopifySandbox) -> None:
    store = _store(sandbox, webhook_max_age_seconds=3600)
    headers, body = sandbox.signed("orders/paid", {"id": 4, "total_price": "10.00"}, webhook_id="d-orig")
    headers["X-Shopify-Triggered-At"] = datetime.now(UTC).isoformat()
    [first] = parse(store, headers, body)
    replay = {
        **headers,
        "X-Shopify-Webhook-Id": "d-rewritten",
        "X-Shopify-Event-Id": "e-rewritten",
        "X-Shopify-Triggered-At": (datetime.now(UTC) + timedelta(seconds=5)).isoformat(),
    }
    [again] = parse(store, replay, body)
    assert first.delivery_id == again.delivery_id == "d-orig"  # so the hub drops it as a duplicate
    # The same body under another topic is a delivery of its own (Shopify signs only the body).
    [other] = parse(store, {**replay, "X-Shopify-Topic": "orders/updated", "X-Shopify-Webhook-Id": "d-3"}, body)
    assert other.delivery_id == "d-3"
    # A new delivery of other content is new, and another store's replay window is its own.
    headers2, body2 = sandbox.signed("orders/paid", {"id": 5}, webhook_id="d-new")
    headers2["X-Shopify-Triggered-At"] = headers["X-Shopify-Triggered-At"]
    assert parse(store, headers2, body2)[0].delivery_id == "d-new"
    assert parse(_store(sandbox), replay, body)[0].delivery_id == "d-rewritten"


def test_the_signature_is_checked_once_per_delivery(sandbox: ShopifySandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = signature.SIGNATURE.digest

    def counting(self: object, secret: str | bytes, message: bytes) -> str:
        calls.append(message)
        return real(secret, message)

    monkeypatch.setattr(type(signature.SIGNATURE), "digest", counting)
    headers, body = sandbox.signed("orders/paid", {"id": 6})
    calls.clear()
    parse(_store(sandbox, webhook_max_age_seconds=10**9), headers, body)
    assert calls == [body]
