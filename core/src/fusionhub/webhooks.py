"""Verifying incoming webhook deliveries: signature, age, and replays.

A plugin's `fusionhub_parse_webhook` describes where its platform puts things in a
`WebhookFormat` (which headers carry the signature, delivery id, topic and time, how it signs)
and calls `format.open(headers, body, secret=..., platform=...)`: signature verified once, time
checked when asked, required headers and a JSON object body, or a refusal (`AuthError` for what
an attacker controls, `ValidationError` for a malformed delivery). The pieces it composes:

- `HmacSha256(encoding, prefix).verify(secret, message, given)`: HMAC-SHA256 over the exact raw
  bytes the platform signed (the body, or e.g. `id.timestamp.body`), hex or base64, an optional
  `sha256=` style prefix, constant-time compare. An empty or missing secret is refused: an HMAC
  keyed with nothing proves nothing (anyone can compute it).
- `check_timestamp(raw, now, tolerance)`: the delivery's time (unix seconds or ISO 8601) within
  `tolerance` seconds of now, either way. It only means something if the timestamp is signed.
- `SeenDeliveries`: de-duplication of signed content. A platform that signs only the body leaves
  its delivery-id and time headers open to rewriting, so a captured delivery could be replayed as
  "new". Keyed by what is signed, a replay maps back to the delivery id it was first accepted
  under, and the hub's (store, delivery id) de-duplication drops it.

`SeenDeliveries` is a bounded in-memory map with a time-to-live on the clock it is given, per
process: the window against replays is as long as `ttl` and as wide as one process (several web
processes each keep their own, and the stored events' unique delivery ids still drop exact
re-deliveries). Make `ttl` at least the timestamp tolerance, and at least as long as the
platform keeps retrying a delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fusionhub.clock import Clock
from fusionhub.errors import AuthError, ValidationError

__all__ = ["Delivery", "HmacSha256", "SeenDeliveries", "WebhookFormat", "check_timestamp", "parse_timestamp"]


@dataclass(frozen=True, slots=True)
class HmacSha256:
    """How a platform signs deliveries: HMAC-SHA256, digest as hex or base64, behind an optional prefix."""

    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""  # e.g. "sha256=" in front of the digest in the header

    def digest(self, secret: str | bytes, message: bytes) -> str:
        raw = hmac.new(_key(secret), message, hashlib.sha256).digest()
        return raw.hex() if self.encoding == "hex" else base64.b64encode(raw).decode()

    def sign(self, secret: str | bytes, message: bytes) -> str:
        """The header value a platform would send (for sandboxes and tests)."""
        return self.prefix + self.digest(secret, message)

    def verify(
        self, secret: str | bytes | None, message: bytes, given: str | None, *, platform: str | None = None
    ) -> str:
        """Raise AuthError unless `given` signs exactly `message` with `secret`; returns the digest."""
        if not secret:
            raise AuthError(
                "No webhook secret is configured for this store, so its deliveries cannot be verified and are "
                "refused: set the store's webhook secret credential.",
                platform=platform,
            )
        value = (given or "").strip()
        if self.prefix:
            if not value.lower().startswith(self.prefix.lower()):
                value = ""
            value = value[len(self.prefix) :]
        if self.encoding == "hex":
            value = value.lower()
        expected = self.digest(secret, message)
        if not value or not hmac.compare_digest(expected.encode(), value.encode("utf-8", "replace")):
            raise AuthError("webhook signature mismatch: forged, altered or unsigned delivery", platform=platform)
        return expected


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def parse_timestamp(raw: str | None) -> float | None:
    """Unix seconds or an ISO 8601 time (with `Z` or an offset; naive means UTC), else None.

    Only times a datetime can hold (years 1 to 9999): `nan`, `inf` and absurd numbers are None,
    so they can neither pass an age check nor break the reader.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        when = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return when if _EARLIEST <= when <= _LATEST else None  # False for nan


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC).timestamp()
_LATEST = datetime(9999, 12, 30, tzinfo=UTC).timestamp()


def check_timestamp(
    raw: str | None,
    now: float,
    tolerance: float,
    *,
    future: float | None = None,
    what: str = "webhook delivery",
    platform: str | None = None,
) -> float:
    """The time `raw` names; AuthError when it is missing, malformed, more than `tolerance` s
    before `now`, or more than `future` s (default: `tolerance`) after it."""
    when = parse_timestamp(raw)
    if when is None:
        raise AuthError(f"{what} has no valid timestamp", platform=platform)
    if now - when > tolerance:
        raise AuthError(f"{what} is older than allowed: replayed", platform=platform)
    if when - now > (tolerance if future is None else future):
        raise AuthError(f"{what} is stamped in the future beyond the allowed skew", platform=platform)
    return when


def _body(headers: Mapping[str, str], body: bytes) -> bytes:
    return body


@dataclass(frozen=True, slots=True)
class Delivery:
    """A verified delivery: lower-case headers, topic, delivery id, the signature, the JSON body."""

    headers: dict[str, str]
    topic: str
    delivery_id: str
    digest: str  # the verified signature: signed content, what replays are recognised by
    payload: dict[str, Any]
    stamp: str | None = None  # the time header, as sent (unsigned on most platforms)

    @property
    def occurred_at(self) -> datetime | None:
        """The time header as a datetime when it parses (else None)."""
        when = parse_timestamp(self.stamp)
        return datetime.fromtimestamp(when, UTC) if when is not None else None

    @property
    def replay_key(self) -> str:
        """What names this signed content whatever its unsigned headers say: topic and signature, hashed.

        The topic is part of it: a platform may send one body, with one signature, for several
        topics, and each is an event of its own. Fixed length, fit to be stored.
        """
        return hashlib.sha256(f"{self.topic}\0{self.digest}".encode()).hexdigest()

    def first_id(self, seen: SeenDeliveries, scope: str) -> str:
        """The delivery id this signed content was first accepted under in `scope` (a store)."""
        return seen.first_delivery(f"{scope} {self.replay_key}", self.delivery_id)


@dataclass(frozen=True, slots=True)
class WebhookFormat:
    """Where a platform's deliveries carry their signature, id, topic and time, and how they are signed."""

    signature: str  # header names, any case
    delivery_id: str
    topic: str
    timestamp: str | None = None
    scheme: HmacSha256 = HmacSha256()
    # The exact bytes signed, from the lower-cased headers and the raw body (default: the body).
    signed: Callable[[Mapping[str, str], bytes], bytes] = _body

    def open(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        secret: str | bytes | None,
        max_age: float | None = None,
        now: float | None = None,
        platform: str | None = None,
    ) -> Delivery:
        """Verify a delivery once and read it; with `max_age`, its time header must be that recent."""
        h = {k.lower(): v for k, v in headers.items()}
        digest = self.scheme.verify(secret, self.signed(h, body), h.get(self.signature.lower()), platform=platform)
        stamp = h.get(self.timestamp.lower()) if self.timestamp else None
        if max_age is not None:  # after the signature: an unsigned date on a forged delivery proves nothing
            check_timestamp(stamp, datetime.now(UTC).timestamp() if now is None else now, max_age, platform=platform)
        topic, delivery = h.get(self.topic.lower(), ""), h.get(self.delivery_id.lower(), "")
        if not topic or not delivery:
            raise ValidationError(
                errors=[{"loc": "headers", "msg": f"{self.topic} and {self.delivery_id} are required"}],
                platform=platform,
            )
        try:
            payload = json.loads(body)
        except ValueError:
            raise ValidationError(errors=[{"loc": "body", "msg": "not JSON"}], platform=platform) from None
        if not isinstance(payload, dict):
            raise ValidationError(errors=[{"loc": "body", "msg": "not a JSON object"}], platform=platform)
        return Delivery(h, topic, delivery, digest, payload, stamp)


class SeenDeliveries:
    """Signed content accepted within `ttl` seconds on `clock`; at most `max_entries` remembered."""

    def __init__(self, clock: Clock, *, ttl: float, max_entries: int = 10_000) -> None:
        if ttl <= 0 or max_entries < 1:
            raise ValueError("ttl and max_entries must be positive")
        self.clock = clock
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()  # key → (delivery id, expiry)

    def first_delivery(self, key: str, delivery_id: str) -> str:
        """The delivery id `key` was first accepted under within the window; `delivery_id` when new.

        `key` must be built from signed content only (the signature, plus whatever else the
        plugin needs to keep apart, such as the store), never from unsigned headers.
        """
        now = self.clock.now()
        while self._seen and next(iter(self._seen.values()))[1] <= now:
            self._seen.popitem(last=False)
        seen = self._seen.get(key)
        if seen is not None:
            return seen[0]
        self._seen[key] = (delivery_id, now + self.ttl)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return delivery_id

    def __len__(self) -> int:
        return len(self._seen)
