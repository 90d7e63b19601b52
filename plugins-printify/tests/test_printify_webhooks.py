"""Webhook subscriptions against the sandbox, and deliveries: signed ones accepted, forged ones refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fusionhub.errors import AuthError, ValidationError
from fusionhub.models import EventType
from fusionhub.sandbox import SANDBOX_ACCESS_TOKEN
from fusionhub.stores import Store
from fusionhub.testing.harness import SandboxRun
from fusionhub_printify.sandbox import SHOP_ID, WEBHOOK_SECRET, PrintifySandbox
from fusionhub_printify.webhooks import parse, sign

Make = Callable[..., SandboxRun]
CALLBACK = "https://hub.example.com/webhooks/printify"


def _parse(run: SandboxRun, headers: dict[str, str], body: bytes, store: Store | None = None) -> Any:
    impl = run.registry.impl("printify", "fusionhub_parse_webhook")
    assert impl is not None
    return run.clock.run(impl(store=store or run.store, headers=headers, body=body))


def _subscribe(run: SandboxRun, *topics: str) -> Any:
    params = {"action": "subscribe", "topics": list(topics), "callback_url": CALLBACK}
    return run.clock.run(run.execute("webhooks", params)).value


def _sandbox(run: SandboxRun) -> PrintifySandbox:
    assert isinstance(run.sandbox, PrintifySandbox)
    return run.sandbox


def test_a_signed_delivery_becomes_one_event(printify_run: Make) -> None:
    run = printify_run()
    subs = _subscribe(run, "order:created", "order:sent-to-production")
    assert sorted(s.topic for s in subs.subscriptions) == ["order:created", "order:sent-to-production"]
    order = _sandbox(run).add_order()
    (delivery,) = _sandbox(run).deliveries
    assert delivery.url == CALLBACK and delivery.headers["x-pfy-signature"].startswith("sha256=")
    (event,) = _parse(run, delivery.headers, delivery.body)
    assert event.type is EventType.ORDER_CREATED and event.resource_id == order["id"]
    assert event.delivery_id == json.loads(delivery.body)["id"]  # inside the signed body: a replay keeps it
    assert event.topic == "order:created" and event.occurred_at is not None


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (lambda h, b: ({**h, "x-pfy-signature": "sha256=" + "0" * 64}, b), "signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "x-pfy-signature"}, b), "signature"),
        (lambda h, b: (h, b.replace(b"on-hold", b"canceled")), "signature"),  # the body changed after signing
        (lambda h, b: ({**h, "x-pfy-signature": sign(b, "an attacker's secret")}, b), "signature"),
    ],
)
def test_a_forged_delivery_is_refused(printify_run: Make, tamper: Callable[..., Any], why: str) -> None:
    run = printify_run()
    _subscribe(run, "order:created")
    _sandbox(run).add_order()
    (delivery,) = _sandbox(run).deliveries
    headers, body = tamper(delivery.headers, delivery.body)
    with pytest.raises(AuthError, match=why):
        _parse(run, headers, body)


def test_a_store_without_a_secret_accepts_nothing(printify_run: Make) -> None:
    run = printify_run()
    body = b'{"id":"e1","type":"order:created","resource":{"id":"o1","type":"order","data":{}}}'
    bare = Store("printify", credentials={"access_token": "t"}, config={"shop_id": SHOP_ID})
    with pytest.raises(AuthError, match="No webhook secret"):
        _parse(run, {"x-pfy-signature": "sha256=00"}, body, bare)


def test_a_delivery_for_another_shop_is_refused_even_when_signed() -> None:
    body = json.dumps(
        {"id": "e1", "type": "order:created", "resource": {"id": "o1", "type": "order", "data": {"shop_id": 1}}}
    ).encode()
    with pytest.raises(AuthError, match="another shop"):
        parse({"X-Pfy-Signature": sign(body, WEBHOOK_SECRET)}, body, secret=WEBHOOK_SECRET, shop_id=SHOP_ID)


def test_the_other_signature_header_is_read_too() -> None:
    body = json.dumps({"id": "e2", "type": "product:deleted", "resource": {"id": "p1", "type": "product"}}).encode()
    (event,) = parse({"X-Printify-Signature": sign(body, "s3")}, body, secret="s3", shop_id=SHOP_ID)
    assert event.type is EventType.PRODUCT_DELETED and event.resource_id == "p1"


def test_a_signed_but_malformed_body_is_a_validation_error() -> None:
    for body in (b"not json", b"[]", b'{"type": "order:created"}'):
        with pytest.raises(ValidationError):
            parse({"x-pfy-signature": sign(body, "s")}, body, secret="s", shop_id=SHOP_ID)


def test_an_old_delivery_is_refused_when_the_store_sets_a_max_age(printify_run: Make) -> None:
    run = printify_run()
    _subscribe(run, "order:created")
    _sandbox(run).add_order()
    (delivery,) = _sandbox(run).deliveries
    run.clock.advance(3600)
    with pytest.raises(AuthError, match="older than allowed"):
        parse(delivery.headers, delivery.body, secret=WEBHOOK_SECRET, shop_id=SHOP_ID, max_age=600, clock=run.clock)
    assert parse(delivery.headers, delivery.body, secret=WEBHOOK_SECRET, shop_id=SHOP_ID, max_age=7200, clock=run.clock)


def test_orders_move_through_production_and_each_step_is_delivered(printify_run: Make) -> None:
    run = printify_run()
    sandbox = _sandbox(run)
    _subscribe(run, "order:sent-to-production", "order:updated", "order:shipment:created")
    order = sandbox.add_order()
    done = run.clock.run(run.execute("update_order_status", {"order_id": order["id"], "action": "fulfill"})).value
    assert done.status.value == "paid" and done.raw["status"] == "sending-to-production"
    run.clock.advance(sandbox.production_after + sandbox.ship_after)
    shipped = run.clock.run(run.execute("get_order", {"order_id": order["id"]})).value
    assert shipped.status.value == "fulfilled" and shipped.tracking[0].carrier == "usps"
    topics = [d.topic for d in sandbox.deliveries]
    assert topics == ["order:sent-to-production", "order:updated", "order:shipment:created"]
    events = [_parse(run, d.headers, d.body)[0].type for d in sandbox.deliveries]
    assert events == [EventType.ORDER_UPDATED, EventType.ORDER_UPDATED, EventType.ORDER_FULFILLED]


def test_subscribe_needs_the_stores_secret_and_known_topics(printify_run: Make) -> None:
    run = printify_run(credentials={"access_token": SANDBOX_ACCESS_TOKEN})  # no webhook_secret
    with pytest.raises(ValidationError) as refused:
        run.clock.run(
            run.execute("webhooks", {"action": "subscribe", "topics": ["order:created"], "callback_url": CALLBACK})
        )
    assert refused.value.errors[0]["loc"] == "credentials.webhook_secret"
    with pytest.raises(ValidationError) as unknown:
        run.clock.run(
            run.execute("webhooks", {"action": "subscribe", "topics": ["orders/create"], "callback_url": CALLBACK})
        )
    assert unknown.value.errors[0]["loc"] == "params.topics.0"
    assert run.request_count == 0


def test_unsubscribe_deletes_one_subscription(printify_run: Make) -> None:
    run = printify_run()
    subs = _subscribe(run, "order:created", "product:deleted")
    gone = subs.subscriptions[0]
    left = run.clock.run(run.execute("webhooks", {"action": "unsubscribe", "subscription_id": gone.id})).value
    assert [s.id for s in left.subscriptions] == [subs.subscriptions[1].id]
    deleted = run.sandbox.requests.matching("DELETE", "/v1/shops/{shop_id}/webhooks/{webhook_id}.json")
    assert [r.url.params["host"] for r in deleted] == ["hub.example.com"]
    with pytest.raises(ValidationError):
        run.clock.run(run.execute("webhooks", {"action": "unsubscribe", "subscription_id": gone.id}))
