"""Unsigned deliveries: the secret in the URL admits them; a retried sale or refund is one event.

The deliveries come from the sandbox: a subscription made through the plugin, then sales and
refunds that Gumroad posts as forms to the post_url. They reach the plugin the way a host hands
them over: `runtime.events.ingest(store, headers, body, url=<the path and query it was posted to>)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError, ValidationError
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import sqlite_url
from fusionhub_gumroad.sandbox import SANDBOX_WEBHOOK_SECRET, GumroadSandbox
from fusionhub_gumroad.sandbox.world import Delivery
from fusionhub_gumroad.webhooks import check_secret, event, read_body, with_secret, without_secret

CALLBACK = "https://hub.example.test/webhooks/gumroad-shop"


Shop = tuple[Runtime, GumroadSandbox, str]


def in_shop(tmp_path: Path, body: Callable[[Runtime, GumroadSandbox, str], Awaitable[None]]) -> None:
    """Run `body` with a runtime, a Gumroad store subscribed to sales and refunds, and its sandbox (virtual time)."""
    clock = VirtualClock()
    sandbox = GumroadSandbox(clock, products=3, sales=0)

    async def main() -> None:
        runtime = await Runtime.open(
            sqlite_url(tmp_path / "hub.db"),
            registry=Registry.discover(allow={"gumroad"}),
            keyring=Keyring([Fernet.generate_key().decode()], "test keys"),
            clock=clock,
            transport_for=lambda store: sandbox.transport(),
        )
        try:
            store = await runtime.stores.add("shop", "gumroad", sandbox.credentials(), sandbox.store_config())
            params = {"action": "subscribe", "topics": ["sale", "refund"], "callback_url": CALLBACK}
            await runtime.execute(store.id, "webhooks", params)
            await body(runtime, sandbox, store.id)
        finally:
            await runtime.aclose()

    clock.run(main())


async def ingest(runtime: Runtime, store_id: str, delivery: Delivery, url: str | None = None) -> Any:
    request = delivery.request
    return await runtime.events.ingest(
        store_id, dict(request.headers), request.content, url=delivery.url if url is None else url
    )


def test_a_sale_is_delivered_as_a_form_and_becomes_one_event(tmp_path: Path) -> None:
    async def body(runtime: Runtime, sandbox: GumroadSandbox, store_id: str) -> None:
        sale = sandbox.sell(email="ann@example.test")
        (delivery,) = sandbox.deliveries
        assert delivery.request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert f"secret={SANDBOX_WEBHOOK_SECRET}" in delivery.url  # what Gumroad was given at subscribe
        done = await ingest(runtime, store_id, delivery)
        (new,) = done.new
        assert new.type.value == "order.created" and new.resource_id == sale["id"] and new.topic == "sale"
        assert new.delivery_id == f"sale:{sale['id']}" and new.payload["email"] == "ann@example.test"
        assert new.payload["card[type]"] == "visa" and new.occurred_at is not None

    in_shop(tmp_path, body)


def test_gumroads_retries_of_a_sale_and_a_refund_are_one_event_each(tmp_path: Path) -> None:
    async def body(runtime: Runtime, sandbox: GumroadSandbox, store_id: str) -> None:
        sale = sandbox.sell()
        await runtime.execute(store_id, "process_refund", {"order_id": sale["id"]})
        sale_delivery, refund_delivery = sandbox.deliveries
        assert refund_delivery.resource == "refund"
        counts = []
        for delivery in (sale_delivery, refund_delivery):
            retries = [sandbox.world.retry(delivery)]
            retries.append(sandbox.world.retry(retries[-1]))
            retries.append(sandbox.world.retry(retries[-1]))
            assert [r.at - delivery.at for r in retries] == [60.0, 240.0, 840.0]  # 60 s, 180 s, 600 s apart
            for attempt in (delivery, *retries):
                done = await ingest(runtime, store_id, attempt)
                counts.append((len(done.new), done.duplicates))
        assert counts == [(1, 0), (0, 1), (0, 1), (0, 1)] * 2
        stored = await runtime.events.list("shop")
        assert sorted(e["delivery_id"] for e in stored) == [f"refund:{sale['id']}:true", f"sale:{sale['id']}"]

    in_shop(tmp_path, body)


def test_a_partial_then_a_full_refund_are_two_events(tmp_path: Path) -> None:
    async def body(runtime: Runtime, sandbox: GumroadSandbox, store_id: str) -> None:
        sale = sandbox.sell()
        await runtime.execute(
            store_id, "process_refund", {"order_id": sale["id"], "amount": {"amount": "1", "currency": "USD"}}
        )
        await runtime.execute(store_id, "process_refund", {"order_id": sale["id"]})
        news = [len((await ingest(runtime, store_id, d)).new) for d in sandbox.deliveries if d.resource == "refund"]
        assert news == [1, 1]

    in_shop(tmp_path, body)


def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    async def body(runtime: Runtime, sandbox: GumroadSandbox, store_id: str) -> None:
        sandbox.sell()
        (delivery,) = sandbox.deliveries
        path = delivery.url.split("?")[0]
        wrong = [
            None,  # the host did not pass the URL
            path,
            f"{path}?secret=",
            f"{path}?secret={SANDBOX_WEBHOOK_SECRET[:-1]}",
            f"{path}?secret={SANDBOX_WEBHOOK_SECRET}x",
            f"{path}?secret=guess&secret={SANDBOX_WEBHOOK_SECRET}",  # two values: refused, not "any matches"
        ]
        for url in wrong:
            with pytest.raises(AuthError) as refused:
                await runtime.events.ingest(store_id, dict(delivery.request.headers), delivery.request.content, url=url)
            assert SANDBOX_WEBHOOK_SECRET not in str(refused.value)
        assert await runtime.events.list("shop") == []

    in_shop(tmp_path, body)


def test_a_store_without_a_strong_secret_refuses_every_delivery() -> None:
    for credentials in ({}, {"webhook_secret": ""}, {"webhook_secret": "short"}):
        with pytest.raises(AuthError, match="at least 32 characters"):
            check_secret("/wh?secret=short", credentials)


def test_bodies_that_are_not_gumroad_deliveries() -> None:
    for headers, body in (({}, b"\xff\xfe"), ({"content-type": "application/json"}, b"[1]"), ({}, b"email=x")):
        with pytest.raises(ValidationError):
            event(read_body(headers, body))
    with pytest.raises(ValidationError, match="sale_id"):
        event(read_body({}, b"resource_name=sale&email=x"))


def test_every_resource_has_its_own_stable_delivery_id() -> None:
    cancellation = read_body({}, b"resource_name=cancellation&subscription_id=sub1&cancelled_at=2026-11-30T10:00:00Z")
    assert event(cancellation).delivery_id == "cancellation:sub1:2026-11-30T10:00:00Z"
    ping = read_body({}, b"sale_id=s9&email=x")  # the account-wide Ping has no resource_name
    assert event(ping).delivery_id == "sale:s9" and event(ping).type.value == "order.created"
    unknown = read_body({"content-type": "application/json"}, b'{"resource_name": "new_thing", "id": 1}')
    assert event(unknown).delivery_id == event(dict(unknown)).delivery_id
    assert event(unknown).type.value == "other"


def test_the_secret_goes_into_the_post_url_and_comes_out_leaving_the_rest_as_it_was() -> None:
    post_url = with_secret("https://hub.example/wh?store=a%20b&flag", SANDBOX_WEBHOOK_SECRET)
    assert post_url == f"https://hub.example/wh?store=a%20b&flag&secret={SANDBOX_WEBHOOK_SECRET}"
    assert without_secret(post_url) == "https://hub.example/wh?store=a%20b&flag"
    check_secret(urlsplit(post_url).path + "?" + urlsplit(post_url).query, {"webhook_secret": SANDBOX_WEBHOOK_SECRET})
    with pytest.raises(ValidationError):
        with_secret("https://hub.example/wh?s%65cret=mine", SANDBOX_WEBHOOK_SECRET)  # encoded, still ours
