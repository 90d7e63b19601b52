"""The specification's webhooks are SP-API notifications, delivered to the seller's AWS account.

Managing them (the `webhooks` capability) is the Notifications API: a destination, an SQS queue
(`arn:aws:sqs:<region>:<account>:<queue>`) or an EventBridge partner bus (given here as
`eventbridge:<account id>:<aws region>`), is created once with a grantless token, then each
notification type is subscribed to it with the seller's token. Deliveries are not HTTP calls to
the hub: they are read from the queue (the `sqs` extra, planned) and handed to
`fusionhub_parse_webhook` as the raw message body, which checks that the notification is for
this store's seller (and app, when `application_id` is configured) and normalizes it.
Amazon does not sign notifications: the queue's AWS permissions are what authenticates them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fusionhub.plugin import (
    AuthError,
    Event,
    EventType,
    NotFound,
    Store,
    StoreContext,
    WebhookSubscription,
    WebhookSubscriptions,
    hookimpl,
)
from fusionhub.plugin import (
    params as p,
)
from fusionhub_amazon.auth import grantless_token
from fusionhub_amazon.client import SLUG, call, invalid

SQS, EVENTBRIDGE = "sqs", "eventBridge"
DESTINATION_NAME = "fusionhub"


@dataclass(frozen=True, slots=True)
class Topic:
    payload_version: str
    delivery: frozenset[str]  # destination kinds Amazon delivers this type to
    event: EventType


# Notification types the hub normalizes (https://developer-docs.amazon.com/sp-api/docs/notification-type-values).
TOPICS = {
    "ORDER_CHANGE": Topic("1.0", frozenset({SQS}), EventType.ORDER_UPDATED),
    "FEED_PROCESSING_FINISHED": Topic("2020-09-04", frozenset({SQS}), EventType.OPERATION_FINISHED),
    "FBA_INVENTORY_AVAILABILITY_CHANGES": Topic("1.0", frozenset({SQS}), EventType.INVENTORY_UPDATED),
    "LISTINGS_ITEM_STATUS_CHANGE": Topic("1.0", frozenset({EVENTBRIDGE, SQS}), EventType.PRODUCT_UPDATED),
    "LISTINGS_ITEM_MFN_QUANTITY_CHANGE": Topic("1.0", frozenset({EVENTBRIDGE, SQS}), EventType.INVENTORY_UPDATED),
}


def destination_spec(callback: str) -> tuple[str, dict[str, Any]]:
    """`callback_url` as a destination resource: its kind and resourceSpecification."""
    if callback.startswith("arn:aws:sqs:") and len(callback.split(":")) == 6:
        return SQS, {"sqs": {"arn": callback}}
    parts = callback.split(":")
    if parts[0] == "eventbridge" and len(parts) == 3 and parts[1].isdigit() and parts[2]:
        return EVENTBRIDGE, {"eventBridge": {"accountId": parts[1], "region": parts[2]}}
    raise invalid(
        "params.callback_url",
        "arn:aws:sqs:<region>:<account>:<queue> or eventbridge:<account>:<region>",
    )


def _matches(destination: dict[str, Any], spec: dict[str, Any]) -> bool:
    resource = destination.get("resource") or {}
    if "sqs" in spec:
        return bool((resource.get("sqs") or {}).get("arn") == spec["sqs"]["arn"])
    bridge = resource.get("eventBridge") or {}
    wanted = spec["eventBridge"]
    return bool((bridge.get("accountId"), bridge.get("region")) == (wanted["accountId"], wanted["region"]))


async def _grantless(ctx: StoreContext) -> dict[str, str]:
    return {"x-amz-access-token": await grantless_token(ctx)}


async def destination_id(ctx: StoreContext, spec: dict[str, Any]) -> str:
    """The destination for `spec`: an existing one of the app's, else a new one."""
    found = await call(ctx, "getDestinations", headers=await _grantless(ctx))
    for destination in found.get("payload") or []:
        if _matches(destination, spec):
            return str(destination["destinationId"])
    created = await call(
        ctx,
        "createDestination",
        headers=await _grantless(ctx),
        json={"name": DESTINATION_NAME, "resourceSpecification": spec},
    )
    return str(created["payload"]["destinationId"])


def _subscription(topic: str, payload: dict[str, Any], callback: str | None = None) -> WebhookSubscription:
    return WebhookSubscription(id=f"{topic}:{payload['subscriptionId']}", topic=topic, callback_url=callback)


def _topic(name: str, where: str) -> Topic:
    if name not in TOPICS:
        raise invalid(where, f"one of {', '.join(TOPICS)}")
    return TOPICS[name]


@hookimpl
async def webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    if params.action is p.WebhookAction.LIST:
        found = []
        for name, topic in TOPICS.items():
            try:
                body = await call(
                    ctx, "getSubscription", notificationType=name, params={"payloadVersion": topic.payload_version}
                )
            except NotFound:
                continue  # not subscribed
            if body.get("payload"):
                found.append(_subscription(name, body["payload"]))
        return WebhookSubscriptions(subscriptions=found)
    if params.action is p.WebhookAction.SUBSCRIBE:
        assert params.callback_url is not None  # the params' validator requires it
        kind, spec = destination_spec(params.callback_url)
        topics = [(name, _topic(name, f"params.topics.{i}")) for i, name in enumerate(params.topics)]
        for i, (name, topic) in enumerate(topics):
            if kind not in topic.delivery:
                raise invalid(f"params.topics.{i}", f"Amazon does not deliver {name} to {kind}")
        target = await destination_id(ctx, spec)
        made = []
        for name, topic in topics:
            body = await call(
                ctx,
                "createSubscription",
                notificationType=name,
                json={"payloadVersion": topic.payload_version, "destinationId": target},
            )
            made.append(_subscription(name, body["payload"], params.callback_url))
        return WebhookSubscriptions(subscriptions=made)
    assert params.subscription_id is not None
    name, _, subscription = params.subscription_id.partition(":")
    _topic(name, "params.subscription_id")
    if not subscription:
        raise invalid("params.subscription_id", "<notification type>:<subscription id>")
    await call(
        ctx,
        "deleteSubscriptionById",
        notificationType=name,
        subscriptionId=subscription,
        headers=await _grantless(ctx),
    )
    return WebhookSubscriptions(subscriptions=[])


def _envelope(body: bytes) -> dict[str, Any]:
    """The notification: an SQS message body, or the `detail` of an EventBridge event."""
    try:
        data = json.loads(body)
    except ValueError:
        raise invalid("body", "not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("detail"), dict) and "detail-type" in data:
        data = data["detail"]
    if not isinstance(data, dict) or not isinstance(data.get("Payload"), dict) or "NotificationType" not in data:
        raise invalid("body", "not an SP-API notification (NotificationType, Payload)")
    return data


def _seller(payload: dict[str, Any]) -> str | None:
    """The seller a payload names: at its top, or in its one nested notification object."""
    for source in (payload, *(v for v in payload.values() if isinstance(v, dict))):
        for key in ("SellerId", "sellerId", "SellingPartnerId"):
            if isinstance(source.get(key), str):
                return str(source[key])
    return None


def _resource(kind: str, payload: dict[str, Any]) -> str | None:
    inner = next((v for v in payload.values() if isinstance(v, dict)), {})
    for source in (payload, inner):
        for key in ("AmazonOrderId", "Sku", "SKU", "feedId", "FeedId"):
            if source.get(key):
                return str(source[key])
    return None


def _event_type(name: str, payload: dict[str, Any]) -> EventType:
    if name == "ORDER_CHANGE":
        summary = (payload.get("OrderChangeNotification") or {}).get("Summary") or {}
        status = str(summary.get("OrderStatus", ""))
        return {"Canceled": EventType.ORDER_CANCELLED, "Shipped": EventType.ORDER_FULFILLED}.get(
            status, EventType.ORDER_UPDATED
        )
    return TOPICS[name].event if name in TOPICS else EventType.OTHER


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    note = _envelope(body)
    name, payload = str(note["NotificationType"]), note["Payload"]
    meta = note.get("NotificationMetadata") or {}
    seller = _seller(payload)
    if seller is None or seller != store.config.get("seller_id"):
        raise AuthError("the notification names no seller, or another one than this store's", platform=SLUG)
    app = store.config.get("application_id")
    if app and meta.get("ApplicationId") != app:
        raise AuthError("the notification was sent to another application", platform=SLUG)
    delivery = meta.get("NotificationId")
    if not delivery:
        raise invalid("body.NotificationMetadata.NotificationId", "missing")
    return [
        Event(
            platform=SLUG,
            type=_event_type(name, payload),
            delivery_id=str(delivery),
            resource_id=_resource(name, payload),
            topic=name,
            occurred_at=note.get("EventTime") or meta.get("PublishTime"),
            payload=note,
        )
    ]
