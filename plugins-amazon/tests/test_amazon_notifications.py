"""Notifications: destinations (grantless) and subscriptions (the seller's), and deliveries parsed into events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest

from fusionhub.errors import AuthError, ValidationError
from fusionhub.testing.harness import SandboxRun
from fusionhub_amazon.notifications import parse_webhook
from fusionhub_amazon.sandbox import AmazonSandbox
from fusionhub_amazon.sandbox.deliveries import as_eventbridge

Make = Callable[..., SandboxRun]
QUEUE = "arn:aws:sqs:us-east-1:123456789012:fusionhub-notifications"


def run(amazon: SandboxRun, params: dict[str, Any]) -> Any:
    return amazon.clock.run(amazon.execute("webhooks", params)).value


def token_forms(amazon: SandboxRun) -> list[dict[str, str]]:
    posts = [r for r in amazon.sandbox.requests if r.url.host == "api.amazon.com"]
    return [{k: v[0] for k, v in parse_qs(r.content.decode()).items()} for r in posts]


def test_subscribing_makes_one_destination_with_a_grantless_token(amazon_run: Make) -> None:
    amazon = amazon_run()
    first = run(amazon, {"action": "subscribe", "topics": ["ORDER_CHANGE"], "callback_url": QUEUE})
    again = run(amazon, {"action": "subscribe", "topics": ["FEED_PROCESSING_FINISHED"], "callback_url": QUEUE})
    assert [s.topic for s in first.subscriptions + again.subscriptions] == ["ORDER_CHANGE", "FEED_PROCESSING_FINISHED"]
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    assert len(sandbox.world.destinations) == 1  # found again, not created twice
    (form,) = token_forms(amazon)  # one client-credentials token, reused
    assert form["grant_type"] == "client_credentials" and form["scope"] == "sellingpartnerapi::notifications"
    subscriptions = {k: v["destinationId"] for k, v in sandbox.world.subscriptions.items()}
    assert set(subscriptions.values()) == set(sandbox.world.destinations)
    listed = run(amazon, {"action": "list"})
    assert {s.topic for s in listed.subscriptions} == {"ORDER_CHANGE", "FEED_PROCESSING_FINISHED"}
    gone = run(amazon, {"action": "unsubscribe", "subscription_id": listed.subscriptions[0].id})
    assert gone.subscriptions == [] and len(sandbox.world.subscriptions) == 1


def test_eventbridge_destinations_and_what_amazon_delivers_there(amazon_run: Make) -> None:
    amazon = amazon_run()
    bus = "eventbridge:123456789012:us-east-1"
    made = run(amazon, {"action": "subscribe", "topics": ["LISTINGS_ITEM_MFN_QUANTITY_CHANGE"], "callback_url": bus})
    assert made.subscriptions[0].callback_url == bus
    destination = next(iter(amazon.sandbox.world.destinations.values()))  # type: ignore[attr-defined]
    assert destination["resource"]["eventBridge"]["accountId"] == "123456789012"
    with pytest.raises(ValidationError, match="does not deliver ORDER_CHANGE"):
        run(amazon, {"action": "subscribe", "topics": ["ORDER_CHANGE"], "callback_url": bus})


@pytest.mark.parametrize(
    "callback", ["https://hub.example/webhooks", "arn:aws:sns:us-east-1:1:topic", "eventbridge:x:y"]
)
def test_a_callback_amazon_cannot_deliver_to_is_refused_before_any_request(amazon_run: Make, callback: str) -> None:
    amazon = amazon_run()
    with pytest.raises(ValidationError, match="arn:aws:sqs"):
        run(amazon, {"action": "subscribe", "topics": ["ORDER_CHANGE"], "callback_url": callback})
    assert amazon.request_count == 0


def parse(amazon: SandboxRun, body: bytes) -> Any:
    return amazon.clock.run(parse_webhook(amazon.store, {}, body))


def test_an_order_change_becomes_one_order_event(amazon_run: Make) -> None:
    amazon = amazon_run()
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    order_id = next(iter(sandbox.world.orders))
    body = sandbox.notification("ORDER_CHANGE", order_id, order_status="Canceled")
    (event,) = parse(amazon, body)
    note = json.loads(body)
    assert (event.type, event.resource_id, event.topic) == ("order.cancelled", order_id, "ORDER_CHANGE")
    assert event.delivery_id == note["NotificationMetadata"]["NotificationId"] and event.platform == "amazon-sc"


@pytest.mark.parametrize(
    ("kind", "resource", "expected"),
    [
        ("LISTINGS_ITEM_MFN_QUANTITY_CHANGE", "SKU-001", "inventory.updated"),
        ("LISTINGS_ITEM_STATUS_CHANGE", "SKU-001", "product.updated"),
        ("FBA_INVENTORY_AVAILABILITY_CHANGES", "SKU-002", "inventory.updated"),
        ("FEED_PROCESSING_FINISHED", "50000001", "operation.finished"),
    ],
)
def test_each_topic_is_normalized_from_sqs_and_eventbridge(
    amazon_run: Make, kind: str, resource: str, expected: str
) -> None:
    amazon = amazon_run()
    body = amazon.sandbox.notification(kind, resource)  # type: ignore[attr-defined]
    for delivery in (body, as_eventbridge(json.loads(body))):
        (event,) = parse(amazon, delivery)
        assert (event.type, event.resource_id) == (expected, resource)


def test_a_notification_for_another_seller_or_app_is_refused(amazon_run: Make) -> None:
    amazon = amazon_run()
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    foreign = json.loads(sandbox.notification("LISTINGS_ITEM_STATUS_CHANGE", "SKU-001"))
    foreign["Payload"]["SellerId"] = "A9OTHERSELLER"
    with pytest.raises(AuthError, match="seller"):
        parse(amazon, json.dumps(foreign).encode())
    other_app = sandbox.notification("LISTINGS_ITEM_STATUS_CHANGE", "SKU-001", application_id="amzn1.sp.solution.other")
    with pytest.raises(AuthError, match="another application"):
        parse(amazon, other_app)


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"NotificationType": "ORDER_CHANGE"}'])
def test_malformed_deliveries_are_validation_errors(amazon_run: Make, body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse(amazon_run(), body)
