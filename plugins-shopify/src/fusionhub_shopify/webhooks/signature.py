"""Shopify's webhook format: X-Shopify-Hmac-Sha256 is base64 HMAC-SHA256 of the raw body, and only it.

The id, event-id, topic, shop and time headers are unsigned: whoever replays a captured delivery
can rewrite them, so replays are recognised by the signature (see `events`).
"""

from __future__ import annotations

from fusionhub.plugin import HmacSha256, WebhookFormat

SHOP_HEADER = "x-shopify-shop-domain"
SIGNATURE = HmacSha256(encoding="base64")
FORMAT = WebhookFormat(
    signature="X-Shopify-Hmac-Sha256",
    delivery_id="X-Shopify-Webhook-Id",
    topic="X-Shopify-Topic",
    timestamp="X-Shopify-Triggered-At",
    scheme=SIGNATURE,
)


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value for `body` (the sandbox signs its deliveries with it)."""
    return SIGNATURE.sign(secret, body)
