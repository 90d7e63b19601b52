"""X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body with the app's client secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from fusionhub import AuthError

HMAC_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
SHOP_HEADER = "x-shopify-shop-domain"
ID_HEADER = "x-shopify-webhook-id"
TRIGGERED_HEADER = "x-shopify-triggered-at"
EVENT_ID_HEADER = "x-shopify-event-id"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise AuthError unless the delivery was signed with `secret` over exactly these bytes."""
    given = lower_keys(headers).get(HMAC_HEADER, "")
    if not given or not hmac.compare_digest(sign(body, secret).encode(), given.strip().encode()):
        raise AuthError("webhook signature mismatch: forged or altered delivery", platform="shopify")


def check_age(headers: Mapping[str, str], now: float, max_age: float) -> None:
    """Reject a delivery triggered longer ago than `max_age` seconds (a replay past retries)."""
    raw = lower_keys(headers).get(TRIGGERED_HEADER)
    try:
        triggered = datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise AuthError("webhook delivery has no valid X-Shopify-Triggered-At", platform="shopify") from None
    if now - triggered > max_age:
        raise AuthError("webhook delivery is older than allowed: replayed", platform="shopify")
