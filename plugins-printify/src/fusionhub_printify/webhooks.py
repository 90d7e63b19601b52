"""Webhooks: subscriptions (list, subscribe with the store's secret, unsubscribe) and deliveries.

A delivery's body is `{"id", "type", "created_at", "resource": {"id", "type", "data"}}`, signed
as a whole (unverified.SIGNATURE_HEADERS: `sha256=<hex HMAC-SHA256(secret, raw body)>`). The
event id, its time and the shop are inside the signed body, so a replay keeps its id and the
hub's one-event-per-delivery-id drops it; no unsigned header is trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fusionhub.plugin import (
    SYSTEM_CLOCK,
    AuthError,
    Clock,
    Credentials,
    Event,
    EventType,
    HmacSha256,
    Store,
    StoreContext,
    ValidationError,
    WebhookSubscription,
    WebhookSubscriptions,
    check_timestamp,
    hookimpl,
)
from fusionhub.plugin import params as p
from fusionhub_printify import unverified
from fusionhub_printify.client import call, refuse
from fusionhub_printify.config import SLUG, ShopConfig
from fusionhub_printify.mapping import Json, timestamp

SECRET_FIELD = "webhook_secret"  # noqa: S105 (a field name) the store credential Printify signs this store's deliveries with
SIGNATURE = HmacSha256(encoding="hex", prefix=unverified.SIGNATURE_PREFIX)
TOPICS: dict[str, EventType] = {
    "order:created": EventType.ORDER_CREATED,
    "order:updated": EventType.ORDER_UPDATED,
    "order:sent-to-production": EventType.ORDER_UPDATED,
    "order:shipment:created": EventType.ORDER_FULFILLED,
    "order:shipment:delivered": EventType.ORDER_UPDATED,
    "product:deleted": EventType.PRODUCT_DELETED,
    "product:publish:started": EventType.PRODUCT_UPDATED,
    "shop:disconnected": EventType.APP_UNINSTALLED,
}


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for `body` (the sandbox signs its deliveries with it)."""
    return SIGNATURE.sign(secret, body)


def _secret(credentials: Credentials) -> str | None:
    value = credentials.get(SECRET_FIELD)
    return str(value) if value else None


def _subscription(data: Json) -> WebhookSubscription:
    return WebhookSubscription(id=str(data["id"]), topic=str(data["topic"]), callback_url=data.get("url"))


async def _list(ctx: StoreContext) -> list[Json]:
    found = await call(ctx, "listWebhooks")
    return list(found.get("data", []) if isinstance(found, dict) else found or [])


def _subscribing(params: p.WebhooksParams, credentials: Credentials) -> str:
    """The secret to subscribe with, once the topics are known to be Printify's; refusals before any request."""
    unknown = [(i, t) for i, t in enumerate(params.topics) if t not in TOPICS]
    if unknown:
        raise refuse(f"params.topics.{unknown[0][0]}", f"one of Printify's topics: {', '.join(TOPICS)}")
    secret = _secret(credentials)
    if secret is None:
        msg = f"set the store's {SECRET_FIELD}: Printify signs deliveries with it, and unsigned ones are refused"
        raise refuse(f"credentials.{SECRET_FIELD}", msg)
    return secret


@hookimpl
async def webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    secret = _subscribing(params, ctx.credentials) if params.action is p.WebhookAction.SUBSCRIBE else None
    current = await _list(ctx)
    if secret is not None:
        # A topic already delivered to this URL is not subscribed twice: subscribing again (a re-run)
        # leaves the same subscriptions (once = "natural").
        have = {(s.get("topic"), s.get("url")) for s in current}
        for topic in dict.fromkeys(params.topics):
            if (topic, params.callback_url) not in have:
                body = {"topic": topic, "url": params.callback_url, "secret": secret}
                current.append(await call(ctx, "createWebhook", json=body))
    elif params.action is p.WebhookAction.UNSUBSCRIBE:
        gone = next((s for s in current if str(s["id"]) == params.subscription_id), None)
        if gone is None and not ctx.rerun:  # on a re-run, an earlier run of this call deleted it
            raise refuse("params.subscription_id", f"the shop has no webhook {params.subscription_id}")
        if gone is not None:
            host = urlsplit(str(gone.get("url") or "")).hostname
            await call(ctx, "deleteWebhook", params={"host": host} if host else None, webhook_id=str(gone["id"]))
            current = [s for s in current if s is not gone]
    return WebhookSubscriptions(subscriptions=[_subscription(s) for s in current])


def _signature(headers: Mapping[str, str]) -> str | None:
    lower = {k.lower(): v for k, v in headers.items()}
    return next((lower[h] for h in unverified.SIGNATURE_HEADERS if h in lower), None)


def parse(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | None,
    shop_id: int,
    max_age: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Event]:
    """Verify, then normalize one delivery. A delivery about another shop is refused like a forged one."""
    SIGNATURE.verify(secret, body, _signature(headers), platform=SLUG)
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise ValidationError(errors=[{"loc": "body", "msg": "not JSON"}], platform=SLUG) from None
    if not isinstance(data, dict) or not data.get("id") or not data.get("type"):
        raise ValidationError(errors=[{"loc": "body", "msg": "a Printify event has an id and a type"}], platform=SLUG)
    if max_age is not None:  # created_at is inside the signed body
        check_timestamp(str(data.get("created_at") or ""), clock.now(), max_age, platform=SLUG)
    resource: Json = data["resource"] if isinstance(data.get("resource"), dict) else {}
    payload: Json = resource["data"] if isinstance(resource.get("data"), dict) else {}
    sender = payload.get("shop_id", data.get("shop_id"))
    if sender is not None and str(sender) != str(shop_id):
        raise AuthError("webhook delivery names another shop", platform=SLUG)
    topic = str(data["type"])
    return [
        Event(
            platform=SLUG,
            type=TOPICS.get(topic, EventType.OTHER),
            delivery_id=str(data["id"]),
            resource_id=str(resource["id"]) if resource.get("id") is not None else None,
            topic=topic,
            occurred_at=timestamp(data.get("created_at")),
            payload=data,
        )
    ]


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    config = ShopConfig.of(store.config)
    return parse(
        headers,
        body,
        secret=_secret(store.credentials),
        shop_id=config.shop_id,
        max_age=config.webhook_max_age_seconds,
    )
