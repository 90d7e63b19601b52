"""Shopify's verifiers fuzzed with hypothesis: webhook deliveries and OAuth callbacks.

Forged, tampered, truncated, unsigned, empty-key, foreign-shop deliveries and altered callbacks
are refused every time; authentic ones are accepted; a replay under rewritten unsigned headers
(X-Shopify-Webhook-Id, X-Shopify-Event-Id, X-Shopify-Triggered-At) gets its first delivery id back.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fusionhub import AuthError, Store, VirtualClock
from fusionhub.plugin import QueryHmac
from fusionhub_shopify import plugin
from fusionhub_shopify.auth import oauth
from fusionhub_shopify.mapping.webhooks import TOPICS
from fusionhub_shopify.webhooks import signature

SHOP = "fuzz-shop.myshopify.com"
KEYS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=40)
WORDS = st.text(alphabet=st.characters(categories=("L", "N", "P", "S")), max_size=20)  # no edge whitespace:
PAYLOADS = st.dictionaries(  # core's Event model strips it from payload strings
    WORDS, st.one_of(st.integers(), WORDS, st.booleans()), max_size=6
).map(lambda d: {**d, "id": abs(hash(json.dumps(d, sort_keys=True))) % 10**9})
TOPIC = st.one_of(st.sampled_from(sorted(TOPICS)), st.from_regex(r"[a-z_]{1,12}/[a-z_]{1,12}", fullmatch=True))
FUZZ = settings(max_examples=200, deadline=None)


def _store(**credentials: str) -> Store:
    return Store(platform="shopify", credentials={"access_token": "t", **credentials}, config={"shop": SHOP})


def _parse(store: Store, headers: dict[str, str], body: bytes) -> list[Any]:
    return VirtualClock().run(plugin.fusionhub_parse_webhook(store=store, headers=headers, body=body))


def _signed(topic: str, body: bytes, secret: str) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z",
        "X-Shopify-Hmac-Sha256": signature.sign(body, secret),
    }


@FUZZ
@given(secret=KEYS, topic=TOPIC, payload=PAYLOADS, data=st.data())
def test_fuzz_only_authentic_deliveries_are_accepted(
    secret: str, topic: str, payload: dict[str, Any], data: st.DataObject
) -> None:
    store = _store(client_secret=secret)
    body = json.dumps(payload).encode()
    headers = _signed(topic, body, secret)
    [event] = _parse(store, headers, body)
    assert event.topic == topic and event.payload == payload and event.delivery_id == headers["X-Shopify-Webhook-Id"]

    other = data.draw(st.binary(max_size=200).filter(lambda b: b != body))
    cut = data.draw(st.integers(0, len(body) - 1))
    forger = data.draw(KEYS.filter(lambda k: k != secret))
    sig = headers["X-Shopify-Hmac-Sha256"]
    attacks: list[tuple[str, Store, dict[str, str], bytes]] = [
        ("tampered", store, headers, other),
        ("truncated body", store, headers, body[:cut]),
        ("extended body", store, headers, body + b" "),
        ("forged", store, {**headers, "X-Shopify-Hmac-Sha256": signature.sign(body, forger)}, body),
        ("cut signature", store, {**headers, "X-Shopify-Hmac-Sha256": sig[: data.draw(st.integers(0, 43))]}, body),
        ("unsigned", store, {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}, body),
        ("empty key", _store(), {**headers, "X-Shopify-Hmac-Sha256": signature.sign(body, "")}, body),
        (
            "empty strings",
            _store(client_secret="", webhook_secret=""),
            {**headers, "X-Shopify-Hmac-Sha256": signature.sign(body, "")},
            body,
        ),
        ("another shop", store, {**headers, "X-Shopify-Shop-Domain": "other-shop.myshopify.com"}, body),
    ]
    for name, victim, attack_headers, attack_body in attacks:
        with pytest.raises(AuthError):
            _parse(victim, attack_headers, attack_body)
        assert name


@FUZZ
@given(secret=KEYS, topic=TOPIC, payload=PAYLOADS, rewrites=st.lists(st.text(min_size=1, max_size=30), max_size=4))
def test_fuzz_a_replay_under_rewritten_unsigned_headers_keeps_its_first_delivery_id(
    secret: str, topic: str, payload: dict[str, Any], rewrites: list[str]
) -> None:
    store = _store(client_secret=secret)
    body = json.dumps({**payload, "nonce": str(uuid.uuid4())}).encode()  # new content: not seen in other examples
    headers = _signed(topic, body, secret)
    [first] = _parse(store, headers, body)
    for value in [*rewrites, str(uuid.uuid4())]:
        replay = {
            **headers,
            "X-Shopify-Webhook-Id": value,
            "X-Shopify-Event-Id": value,
            "X-Shopify-Triggered-At": value,
            "x-shopify-api-version": value,
        }
        [again] = _parse(store, replay, body)
        assert again.delivery_id == first.delivery_id == headers["X-Shopify-Webhook-Id"]


@FUZZ
@given(webhook_secret=KEYS, client_secret=KEYS, payload=PAYLOADS)
def test_fuzz_the_webhook_secret_is_the_one_used_when_both_are_set(
    webhook_secret: str, client_secret: str, payload: dict[str, Any]
) -> None:
    assume(webhook_secret != client_secret)
    store = _store(client_secret=client_secret, webhook_secret=webhook_secret)
    body = json.dumps(payload).encode()
    assert _parse(store, _signed("orders/paid", body, webhook_secret), body)
    with pytest.raises(AuthError):
        _parse(store, _signed("orders/paid", body, client_secret), body)


CALLBACK = QueryHmac(param="hmac", unsigned=("signature",))
PARAM_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x7E), max_size=20)


@FUZZ
@given(
    secret=KEYS,
    extra=st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), PARAM_VALUES, max_size=3),
    data=st.data(),
)
def test_fuzz_an_oauth_callback_verifies_only_exactly_as_signed(
    secret: str, extra: dict[str, str], data: st.DataObject
) -> None:
    clock = VirtualClock()
    base = {**extra, "code": "c", "shop": SHOP, "state": "st", "timestamp": f"{clock.now():.0f}"}
    base.pop("hmac", None), base.pop("signature", None)
    params = CALLBACK.sign(secret, base)
    assert oauth.verify_callback(params, client_secret=secret, expected_state="st", clock=clock) == SHOP
    key = data.draw(st.sampled_from(sorted(base)))
    new_value = data.draw(PARAM_VALUES.filter(lambda v: v != base[key]))
    attacks = [
        ({**params, key: new_value}, secret),  # a signed parameter altered
        ({k: v for k, v in params.items() if k != key}, secret),  # one removed
        ({**params, "zz_added": "1"}, secret),  # one added
        ({**params, "hmac": params["hmac"][: data.draw(st.integers(0, 63))]}, secret),  # cut hmac
        ({k: v for k, v in params.items() if k != "hmac"}, secret),  # unsigned
        (CALLBACK.sign(secret + "x", base), secret),  # forged with another key
        (CALLBACK.sign("", base), ""),  # empty key
    ]
    for attack, used in attacks:
        with pytest.raises(AuthError):
            oauth.verify_callback(attack, client_secret=used, expected_state="st", clock=clock)
