"""Webhook verification: HMAC-SHA256 signatures, timestamps, deliveries opened once, replays; fuzzed with hypothesis."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError, ValidationError
from fusionhub.webhooks import HmacSha256, SeenDeliveries, WebhookFormat, check_timestamp, parse_timestamp

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


def test_timestamps_may_allow_less_skew_into_the_future_and_name_what_they_check() -> None:
    now = 1_767_225_600.0
    assert check_timestamp(str(now - 86_000), now, 86_400, future=300) == now - 86_000
    with pytest.raises(AuthError, match="the OAuth callback is stamped in the future"):
        check_timestamp(str(now + 301), now, 86_400, future=300, what="the OAuth callback")


# --- WebhookFormat: a delivery opened once --------------------------------------------------------

FORMAT = WebhookFormat(
    signature="X-Sig", delivery_id="X-Id", topic="X-Topic", timestamp="X-Time", scheme=HmacSha256("base64")
)


def _delivery(body: bytes, secret: str = "key", **headers: str) -> dict[str, str]:
    return {"X-Sig": FORMAT.scheme.sign(secret, body), "X-Id": "d-1", "X-Topic": "thing/made", **headers}


def test_a_signed_delivery_opens_with_its_topic_id_time_and_json_body() -> None:
    body = b'{"id": 7}'
    delivery = FORMAT.open(_delivery(body, **{"X-Time": "2026-01-01T00:00:00Z"}), body, secret="key", platform="demo")
    assert (delivery.topic, delivery.delivery_id, delivery.payload) == ("thing/made", "d-1", {"id": 7})
    assert delivery.digest == FORMAT.scheme.digest("key", body)
    assert delivery.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert FORMAT.open(_delivery(body, **{"X-Time": "soon"}), body, secret="key").occurred_at is None


def test_max_age_checks_the_time_header_after_the_signature() -> None:
    body = b"{}"
    old = _delivery(body, **{"X-Time": "1767225600"})
    with pytest.raises(AuthError, match="replayed"):
        FORMAT.open(old, body, secret="key", max_age=60, now=1_767_225_600 + 61)
    assert FORMAT.open(old, body, secret="key", max_age=60, now=1_767_225_600 + 59).payload == {}
    with pytest.raises(AuthError, match="signature"):  # a forged delivery is refused as forged, whatever its time
        FORMAT.open({**old, "X-Sig": "x"}, body, secret="key", max_age=60, now=0)


@pytest.mark.parametrize(
    ("headers", "body"),
    [({"X-Id": ""}, b"{}"), ({"X-Topic": ""}, b"{}"), ({}, b"[1]"), ({}, b"not json")],
)
def test_an_authentic_but_malformed_delivery_is_a_validation_error(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(ValidationError):
        FORMAT.open({**_delivery(body), **headers}, body, secret="key")


def test_signed_content_may_include_headers() -> None:
    def signed(headers: Mapping[str, str], body: bytes) -> bytes:
        return f"{headers.get('x-id')}.{headers.get('x-time')}.".encode() + body

    fmt = WebhookFormat(signature="X-Sig", delivery_id="X-Id", topic="X-Topic", timestamp="X-Time", signed=signed)
    body = b"{}"
    headers = {"X-Id": "d-1", "X-Time": "1", "X-Topic": "t", "X-Sig": fmt.scheme.sign("k", b"d-1.1.{}")}
    assert fmt.open(headers, body, secret="k").delivery_id == "d-1"
    with pytest.raises(AuthError):
        fmt.open({**headers, "X-Id": "d-2"}, body, secret="k")  # the id is signed here: rewriting it breaks it


def test_a_replay_maps_to_the_first_delivery_per_scope_and_topic(virtual_clock: VirtualClock) -> None:
    seen = SeenDeliveries(virtual_clock, ttl=60)
    body = b"{}"
    first = FORMAT.open(_delivery(body), body, secret="key")
    replay = FORMAT.open({**_delivery(body), "X-Id": "rewritten", "X-Time": "now"}, body, secret="key")
    assert first.first_id(seen, "store-1") == replay.first_id(seen, "store-1") == "d-1"
    assert replay.first_id(seen, "store-2") == "rewritten"  # another store's window is its own


# --- fuzzing: every verifier refuses what is not exactly signed with the configured key ---------

KEYS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=40)
BODIES = st.binary(max_size=300)
SCHEMES = st.sampled_from([HmacSha256("hex"), HmacSha256("base64"), HmacSha256("hex", prefix="sha256=")])
FUZZ = settings(max_examples=300, deadline=None)


@FUZZ
@given(scheme=SCHEMES, key=KEYS, body=BODIES)
def test_fuzz_a_valid_signature_is_accepted(scheme: HmacSha256, key: str, body: bytes) -> None:
    assert scheme.verify(key, body, scheme.sign(key, body)) == scheme.digest(key, body)


@FUZZ
@given(scheme=SCHEMES, key=KEYS, body=BODIES, data=st.data())
def test_fuzz_tampered_truncated_and_extended_bodies_are_refused(
    scheme: HmacSha256, key: str, body: bytes, data: st.DataObject
) -> None:
    signature = scheme.sign(key, body)
    altered = data.draw(
        st.one_of(
            BODIES,
            st.integers(0, max(0, len(body) - 1)).map(lambda n: body[:n]),  # truncated
            BODIES.map(lambda extra: body + extra),  # extended
            st.integers(0, max(0, len(body) - 1)).map(
                lambda i: body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :] if body else b"x"
            ),
        )
    )
    assume(altered != body)
    with pytest.raises(AuthError, match="signature mismatch"):
        scheme.verify(key, altered, signature)


@FUZZ
@given(scheme=SCHEMES, key=KEYS, forger=KEYS, body=BODIES)
def test_fuzz_a_signature_made_with_another_key_is_refused(
    scheme: HmacSha256, key: str, forger: str, body: bytes
) -> None:
    assume(forger != key)
    with pytest.raises(AuthError):
        scheme.verify(key, body, scheme.sign(forger, body))


@FUZZ
@given(scheme=SCHEMES, key=KEYS, body=BODIES, given_=st.one_of(st.none(), st.text(max_size=100)), data=st.data())
def test_fuzz_forged_truncated_and_missing_signatures_are_refused(
    scheme: HmacSha256, key: str, body: bytes, given_: str | None, data: st.DataObject
) -> None:
    real = scheme.sign(key, body)
    cut = data.draw(st.integers(0, len(real) - 1))
    for candidate in (given_, real[:cut], None, ""):
        assume(candidate is None or candidate.strip().lower() != real.lower())
        with pytest.raises(AuthError):
            scheme.verify(key, body, candidate)


@FUZZ
@given(scheme=SCHEMES, body=BODIES, empty=st.sampled_from(["", b"", None]), given_=st.one_of(st.none(), st.text()))
def test_fuzz_an_empty_key_never_verifies(
    scheme: HmacSha256, body: bytes, empty: str | bytes | None, given_: str | None
) -> None:
    for candidate in (given_, scheme.sign(b"", body)):
        with pytest.raises(AuthError, match="No webhook secret is configured"):
            scheme.verify(empty, body, candidate)


PAYLOADS = st.dictionaries(st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=20)), max_size=5)


@FUZZ
@given(key=KEYS, payload=PAYLOADS, data=st.data())
def test_fuzz_a_delivery_opens_only_exactly_as_signed(
    key: str, payload: dict[str, object], data: st.DataObject
) -> None:
    body = json.dumps(payload).encode()
    headers = _delivery(body, secret=key)
    assert FORMAT.open(headers, body, secret=key).payload == payload
    forged_body = data.draw(BODIES.filter(lambda b: b != body))
    attacks: list[tuple[dict[str, str], bytes, str | None]] = [
        (headers, forged_body, key),  # tampered or truncated body under the captured signature
        ({k: v for k, v in headers.items() if k != "X-Sig"}, body, key),  # unsigned
        ({**headers, "X-Sig": FORMAT.scheme.sign(key + "x", body)}, body, key),  # forged with another key
        ({**headers, "X-Sig": FORMAT.scheme.sign("", body)}, body, ""),  # empty key
        ({**headers, "X-Sig": headers["X-Sig"][: data.draw(st.integers(0, 43))]}, body, key),  # cut signature
    ]
    for attack_headers, attack_body, secret in attacks:
        with pytest.raises(AuthError):
            FORMAT.open(attack_headers, attack_body, secret=secret)


@FUZZ
@given(key=KEYS, payload=PAYLOADS, ids=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5))
def test_fuzz_a_replay_under_rewritten_unsigned_headers_is_the_first_delivery(
    key: str, payload: dict[str, object], ids: list[str]
) -> None:
    seen = SeenDeliveries(VirtualClock(), ttl=3600)
    body = json.dumps(payload).encode()
    first = FORMAT.open(_delivery(body, secret=key), body, secret=key).first_id(seen, "s")
    for rewritten in ids:
        headers = {**_delivery(body, secret=key), "X-Id": rewritten, "X-Time": rewritten}
        assert FORMAT.open(headers, body, secret=key).first_id(seen, "s") == first == "d-1"


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "1e30", "-1e30", "99999999999999999"])
def test_non_finite_or_absurd_times_are_no_time_at_all(raw: str) -> None:
    assert parse_timestamp(raw) is None
    with pytest.raises(AuthError, match="no valid timestamp"):
        check_timestamp(raw, 1_767_225_600.0, 300)  # nan compared with anything is False: it must not pass
    body = b"{}"
    assert FORMAT.open(_delivery(body, **{"X-Time": raw}), body, secret="key").occurred_at is None


@FUZZ
@given(raw=st.one_of(st.text(max_size=40), st.floats().map(str), st.integers().map(str)))
def test_fuzz_any_time_header_is_a_time_or_none_and_never_an_exception(raw: str) -> None:
    when = parse_timestamp(raw)
    assert when is None or datetime.fromtimestamp(when, UTC).year >= 1
    with contextlib.suppress(AuthError):  # refused cleanly, or accepted: nothing else
        check_timestamp(raw, 1_767_225_600.0, 300)


def test_the_replay_key_names_signed_content_and_topic_only() -> None:
    body = b'{"id": 1}'
    first = FORMAT.open(_delivery(body), body, secret="key")
    rewritten = FORMAT.open({**_delivery(body), "X-Id": "other", "X-Time": "1"}, body, secret="key")
    other_topic = FORMAT.open({**_delivery(body), "X-Topic": "thing/changed"}, body, secret="key")
    assert first.replay_key == rewritten.replay_key != other_topic.replay_key
    assert len(first.replay_key) == 64 and first.digest not in first.replay_key
