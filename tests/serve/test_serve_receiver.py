"""POST /webhooks/{store}: signed deliveries become one event each; forged, unsigned, tampered → 401, nothing stored."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlsplit

from serve_fixtures import Served

from fusionhub_gumroad.sandbox import SANDBOX_WEBHOOK_SECRET
from fusionhub_printify.sandbox import SHOP_ID
from fusionhub_printify.webhooks import sign as printify_sign

ORDER = {"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508"}


async def test_a_signed_shopify_delivery_is_one_event_by_name_or_id_and_a_repeat_is_stored_once(served: Served) -> None:
    headers, body = served.shopify.signed("orders/create", ORDER)
    first = await served.client.post("/webhooks/shopify", headers=headers, content=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"new": 1, "duplicates": 0}
    again = await served.client.post(f"/webhooks/{served.ids['shopify']}", headers=headers, content=body)
    assert again.status_code == 200 and again.json() == {"new": 0, "duplicates": 1}
    (event,) = await served.runtime.events.list("shopify")
    assert event["topic"] == "orders/create" and event["resource_id"] == ORDER["admin_graphql_api_id"]


async def test_forged_unsigned_and_tampered_shopify_deliveries_are_401_and_store_nothing(served: Served) -> None:
    headers, body = served.shopify.signed("orders/create", ORDER)
    forged = served.shopify.signed("orders/create", ORDER, secret="not-the-apps-secret")[0]
    unsigned = {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}
    tampered = body.replace(b"820982911946154508", b"820982911946154509", 1)
    for sent_headers, sent_body in ((forged, body), (unsigned, body), (headers, tampered)):
        response = await served.client.post("/webhooks/shopify", headers=sent_headers, content=sent_body)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
    assert await served.stored("shopify") == 0


async def test_an_unknown_store_is_404_and_a_malformed_body_400(served: Served) -> None:
    headers, body = served.shopify.signed("orders/create", ORDER)
    missing = await served.client.post("/webhooks/no-such-store", headers=headers, content=body)
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_store"
    unknown_id = await served.client.post(f"/webhooks/{uuid.uuid4()}", headers=headers, content=body)
    assert unknown_id.status_code == 404
    secret = served.printify.credentials()["webhook_secret"]
    not_json = b"{not json"
    malformed = await served.client.post(
        "/webhooks/printify", headers={"x-pfy-signature": printify_sign(not_json, secret)}, content=not_json
    )
    assert malformed.status_code == 400 and "body" in malformed.json()["message"]


def _printify_event(event_id: str, age: float = 0.0) -> bytes:
    resource = {"id": "5a96f649b2439217d070f507", "type": "order", "data": {"shop_id": SHOP_ID, "status": "pending"}}
    created = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(time.time() - age))
    return json.dumps({"id": event_id, "type": "order:created", "created_at": created, "resource": resource}).encode()


async def test_printify_deliveries_are_checked_against_the_stores_secret(served: Served) -> None:
    secret = served.printify.credentials()["webhook_secret"]
    body = _printify_event("653b6be8-2ff7-4ab5-a7a6-6889a8b3d475")
    good = {"x-pfy-signature": printify_sign(body, secret)}
    for headers, sent in (
        ({"x-pfy-signature": printify_sign(body, "forged-secret-forged-secret")}, body),
        ({}, body),
        (good, body.replace(b"order:created", b"order:updated")),
    ):
        response = await served.client.post("/webhooks/printify", headers=headers, content=sent)
        assert response.status_code == 401, response.text
    assert await served.stored("printify") == 0
    for _ in range(2):
        response = await served.client.post("/webhooks/printify", headers=good, content=body)
        assert response.status_code == 200, response.text
    assert await served.stored("printify") == 1


async def test_gumroads_unsigned_form_is_admitted_only_by_the_secret_in_the_url(served: Served) -> None:
    params = {"action": "subscribe", "topics": ["sale"], "callback_url": "https://hub.example.test/webhooks/gumroad"}
    await served.runtime.execute(served.ids["gumroad"], "webhooks", params)
    served.gumroad.sell(email="ann@example.test")
    (delivery,) = served.gumroad.deliveries
    url = urlsplit(delivery.url)
    assert f"secret={SANDBOX_WEBHOOK_SECRET}" in url.query
    headers, body = dict(delivery.request.headers), delivery.request.content
    wrong = url.query.replace(SANDBOX_WEBHOOK_SECRET, "x" * len(SANDBOX_WEBHOOK_SECRET))
    for query in (wrong, ""):
        response = await served.client.post(f"{url.path}?{query}", headers=headers, content=body)
        assert response.status_code == 401, response.text
    assert await served.stored("gumroad") == 0
    for _ in range(2):
        response = await served.client.post(f"{url.path}?{url.query}", headers=headers, content=body)
        assert response.status_code == 200, response.text
    (event,) = await served.runtime.events.list("gumroad")
    assert event["topic"] == "sale" and event["payload"]["email"] == "ann@example.test"


async def test_an_oversized_body_is_413_before_the_plugin_sees_it(served: Served) -> None:
    response = await served.client.post("/webhooks/shopify", content=b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413


async def test_a_replayed_delivery_older_than_the_stores_window_is_401(served: Served) -> None:
    config = (await served.runtime.stores.get("printify")).config
    await served.runtime.stores.update_config("printify", {**config, "webhook_max_age_seconds": 300})
    secret = served.printify.credentials()["webhook_secret"]
    stale = _printify_event("0b7f0c1e-5d3a-4c1e-9f4e-2a6d8c9b1e77", age=3600)  # captured an hour ago
    response = await served.client.post(
        "/webhooks/printify", headers={"x-pfy-signature": printify_sign(stale, secret)}, content=stale
    )
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    fresh = _printify_event("6c1d9a2b-8e4f-4a7b-b3c5-1d2e3f4a5b6c")
    ok = await served.client.post(
        "/webhooks/printify", headers={"x-pfy-signature": printify_sign(fresh, secret)}, content=fresh
    )
    assert ok.status_code == 200 and ok.json() == {"new": 1, "duplicates": 0}
    assert await served.stored("printify") == 1
