"""A delivery → verified once (core's `WebhookFormat`) → one normalized event.

A replay of a captured delivery under rewritten (unsigned) id, event-id or time headers carries
the same signature, so the same `replay_key`: the hub stores one event per key and drops the
replay, in any process and after restarts. Within `REPLAY_WINDOW` it also gets back the delivery
id it was first accepted under.
"""

from __future__ import annotations

from collections.abc import Mapping

from fusionhub.plugin import SYSTEM_CLOCK, AuthError, Event, SeenDeliveries, Store, hookimpl
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.mapping import webhooks as m
from fusionhub_shopify.webhooks.signature import FORMAT, SHOP_HEADER

# Shopify retries a failed delivery for up to 48 hours; a replay within this window is recognized.
REPLAY_WINDOW = 48 * 3600.0
SEEN = SeenDeliveries(SYSTEM_CLOCK, ttl=REPLAY_WINDOW)  # per process, on the clock webhook times use


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes) -> list[Event]:
    """Verify, then normalize. A delivery for another shop is refused like a forged one."""
    config = ShopConfig.of(store.config)
    # The README's rule: a webhook_secret (deliveries signed with another secret than the app's) wins.
    secret = store.credentials.get("webhook_secret") or store.credentials.get("client_secret")
    max_age, now = config.webhook_max_age_seconds, SYSTEM_CLOCK.now()
    delivery = FORMAT.open(headers, body, secret=secret, max_age=max_age, now=now, platform="shopify")
    if delivery.headers.get(SHOP_HEADER) != config.shop:
        raise AuthError("webhook delivery names another shop", platform="shopify")
    return [
        Event(
            platform="shopify",
            type=m.event_type(delivery.topic),
            delivery_id=delivery.first_id(SEEN, store.id),
            replay_key=delivery.replay_key,  # the hub drops a replay by it in every process, after restarts too
            resource_id=m.resource_id(delivery.topic, delivery.payload),
            topic=delivery.topic,
            occurred_at=delivery.occurred_at,
            payload=delivery.payload,
        )
    ]
