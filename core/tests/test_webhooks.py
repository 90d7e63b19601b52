"""Webhook verification helpers: HMAC-SHA256 signatures, timestamp tolerance, replay de-duplication."""

from __future__ import annotations

import pytest

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError
from fusionhub.webhooks import HmacSha256, SeenDeliveries, check_timestamp, parse_timestamp

BODY = b'{"id":1}'
# Known answers, computed independently: printf '{"id":1}' | openssl dgst -sha256 -hmac key [-binary | base64]
HEX = "c95c6a7c2c7c761e984c68cf64b4bca93f07242900aafdbb328d3bb75ab0dcb0"
B64 = "yVxqfCx8dh6YTGjPZLS8qT8HJCkAqv27Mo07t1qw3LA="


def test_digests_match_known_answers() -> None:
    assert HmacSha256("hex").sign("key", BODY) == HEX
    assert HmacSha256("base64").sign("key", BODY) == B64
    assert HmacSha256("hex", prefix="sha256=").sign(b"key", BODY) == f"sha256={HEX}"


@pytest.mark.parametrize(
    ("scheme", "given"),
    [
        (HmacSha256("hex"), HEX),
        (HmacSha256("hex"), HEX.upper()),  # hex is case-insensitive
        (HmacSha256("base64"), f" {B64} "),
        (HmacSha256("hex", prefix="sha256="), f"sha256={HEX}"),
        (HmacSha256("hex", prefix="sha256="), f"SHA256={HEX}"),
    ],
)
def test_a_correct_signature_passes(scheme: HmacSha256, given: str) -> None:
    assert scheme.verify("key", BODY, given) == scheme.digest("key", BODY)


@pytest.mark.parametrize(
    ("scheme", "body", "given"),
    [
        (HmacSha256("hex"), b'{"id":2}', HEX),  # altered body
        (HmacSha256("hex"), BODY, HmacSha256("hex").sign("other-key", BODY)),  # forged with another secret
        (HmacSha256("hex"), BODY, ""),
        (HmacSha256("hex"), BODY, None),
        (HmacSha256("base64"), BODY, HEX),  # the wrong encoding
        (HmacSha256("hex", prefix="sha256="), BODY, HEX),  # the prefix is part of the format
        (HmacSha256("hex"), BODY, "zé"),  # not even ASCII
    ],
)
def test_a_forged_altered_or_missing_signature_is_refused(scheme: HmacSha256, body: bytes, given: str | None) -> None:
    with pytest.raises(AuthError, match="signature mismatch"):
        scheme.verify("key", body, given, platform="demo")


@pytest.mark.parametrize("secret", ["", b"", None])
def test_an_empty_or_missing_secret_is_refused_even_for_its_own_signature(secret: str | bytes | None) -> None:
    forged = HmacSha256("base64").sign(b"", BODY)  # what anyone can compute when the key is empty
    with pytest.raises(AuthError, match="No webhook secret is configured"):
        HmacSha256("base64").verify(secret, BODY, forged)


def test_timestamps_in_seconds_or_iso_8601() -> None:
    assert parse_timestamp("1767225600") == 1_767_225_600.0
    assert parse_timestamp("2026-01-01T00:00:00Z") == 1_767_225_600.0
    assert parse_timestamp("2026-01-01T01:00:00+01:00") == 1_767_225_600.0
    assert parse_timestamp("2026-01-01T00:00:00") == 1_767_225_600.0  # naive: UTC
    assert parse_timestamp("yesterday") is None and parse_timestamp(None) is None and parse_timestamp(" ") is None


def test_timestamp_tolerance_both_ways() -> None:
    now = 1_767_225_600.0
    assert check_timestamp("1767225300", now, 300) == now - 300
    assert check_timestamp("1767225900", now, 300) == now + 300
    with pytest.raises(AuthError, match="older than allowed"):
        check_timestamp("1767225299", now, 300)
    with pytest.raises(AuthError, match="future"):
        check_timestamp("1767225901", now, 300)
    with pytest.raises(AuthError, match="no valid timestamp"):
        check_timestamp(None, now, 300)


def test_seen_content_maps_to_its_first_delivery_within_the_ttl(virtual_clock: VirtualClock) -> None:
    seen = SeenDeliveries(virtual_clock, ttl=60)
    assert seen.first_delivery("sig-a", "d-1") == "d-1"
    assert seen.first_delivery("sig-a", "d-1") == "d-1"  # a re-delivery keeps its id
    assert seen.first_delivery("sig-a", "forged-new-id") == "d-1"  # a replay under a rewritten id
    assert seen.first_delivery("sig-b", "d-2") == "d-2"  # other content is new
    virtual_clock.advance(60)
    assert seen.first_delivery("sig-a", "d-3") == "d-3"  # past the window: remembered no longer
    assert len(seen) == 1  # expired entries are dropped as time passes


def test_seen_deliveries_stay_bounded(virtual_clock: VirtualClock) -> None:
    seen = SeenDeliveries(virtual_clock, ttl=3600, max_entries=3)
    for n in range(5):
        seen.first_delivery(f"sig-{n}", f"d-{n}")
    assert len(seen) == 3
    assert seen.first_delivery("sig-4", "x") == "d-4"
    assert seen.first_delivery("sig-0", "x") == "x"  # the oldest made room
    with pytest.raises(ValueError, match="positive"):
        SeenDeliveries(virtual_clock, ttl=0)
