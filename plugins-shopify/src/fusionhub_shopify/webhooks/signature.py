"""Shopify's webhook headers and signature: X-Shopify-Hmac-Sha256 is base64 HMAC-SHA256 of the raw body.

Only the body is signed: the id, event-id, topic, shop and time headers could be rewritten by
whoever replays a captured delivery. So replays are recognized by the signature (see `events`).
"""

from __future__ import annotations

from collections.abc import Mapping

from fusionhub.plugin import HmacSha256

HMAC_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
SHOP_HEADER = "x-shopify-shop-domain"
ID_HEADER = "x-shopify-webhook-id"
TRIGGERED_HEADER = "x-shopify-triggered-at"
EVENT_ID_HEADER = "x-shopify-event-id"
SIGNATURE = HmacSha256(encoding="base64")


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value for `body` (the sandbox signs its deliveries with it)."""
    return SIGNATURE.sign(secret, body)


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
