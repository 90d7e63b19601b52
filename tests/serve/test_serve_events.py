"""The receiver answers before the observers run; the events page and API; the plugins doctor page."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from serve_fixtures import BASE, TOKEN, Served, sign_in

from fusionhub import hookimpl
from fusionhub.models import Event
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.serve import AdminToken, create_app
from fusionhub.storage import sqlite_url

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORDER = {"id": 450789469, "admin_graphql_api_id": "gid://shopify/Order/450789469"}


class Observer:
    def __init__(self, order: list[str], fail: bool = False) -> None:
        self.order, self.fail = order, fail
        self.thread: int | None = None

    @hookimpl
    def fusionhub_on_event(self, store: object, event: Event) -> None:
        self.thread = threading.get_ident()
        self.order.append(f"observed {event.topic}")
        if self.fail:
            raise RuntimeError("an observer's own bug")


async def deliver(served: Served, headers: dict[str, str], body: bytes, order: list[str]) -> dict[str, Any]:
    """POST /webhooks/shopify straight through the ASGI interface, noting when the answer is complete."""
    answer: dict[str, Any] = {"body": b""}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                order.append(f"answered {answer['status']}")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/shopify",
        "raw_path": b"/webhooks/shopify",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await served.app(scope, receive, send)
    return answer


async def test_the_platform_is_answered_before_the_observers_run(served: Served) -> None:
    order: list[str] = []
    observer = Observer(order)
    served.runtime.hub.registry.pm.register(observer)
    headers, body = served.shopify.signed("orders/create", ORDER)
    await deliver(served, headers, body, order)
    assert order == ["answered 200", "observed orders/create"]
    assert observer.thread != threading.get_ident()  # synchronous hooks: off the event loop's thread
    await deliver(served, headers, body, order)  # the same delivery again: stored once, observed once
    assert order == ["answered 200", "observed orders/create", "answered 200"]
    assert await served.stored("shopify") == 1


async def test_a_failing_observer_neither_changes_the_answer_nor_loses_the_event(served: Served) -> None:
    order: list[str] = []
    served.runtime.hub.registry.pm.register(Observer(order, fail=True))
    headers, body = served.shopify.signed("orders/paid", ORDER)
    answer = await deliver(served, headers, body, order)
    assert answer["status"] == 200 and order == ["answered 200", "observed orders/paid"]
    assert await served.stored("shopify") == 1


async def test_the_events_page_and_api_list_what_was_delivered(served: Served) -> None:
    headers, body = served.shopify.signed("orders/create", ORDER)
    assert (await served.client.post("/webhooks/shopify", headers=headers, content=body)).status_code == 200
    listed = await served.client.get("/api/events", headers=AUTH, params={"store": "shopify"})
    assert listed.status_code == 200
    (event,) = listed.json()
    assert event["topic"] == "orders/create" and event["resource_id"] == ORDER["admin_graphql_api_id"]
    assert "replay_key" not in event
    assert (await served.client.get("/api/events", headers=AUTH, params={"store": "gumroad"})).json() == []
    assert (await served.client.get("/api/events", headers=AUTH, params={"limit": "0"})).status_code == 400
    assert (await served.client.get("/api/events", headers=AUTH, params={"store": "nope"})).status_code == 404
    assert (await served.client.get("/api/events")).status_code == 401

    await sign_in(served.client)
    page = await served.client.get("/events")
    assert page.status_code == 200 and "orders/create" in page.text and ORDER["admin_graphql_api_id"] in page.text
    only_gumroad = await served.client.get("/events", params={"store": served.ids["gumroad"]})
    assert "orders/create" not in only_gumroad.text and "No event yet" in only_gumroad.text


async def test_the_plugins_doctor_page_gives_each_broken_plugin_its_reason_and_fix(tmp_path: Path) -> None:
    registry = Registry.discover(allow={"gumroad", "broken-import", "future-core"})
    reasons = {r.name: r for r in registry.records if r.name in {"broken-import", "future-core"}}
    assert {r.status.value for r in reasons.values()} <= {"failed", "incompatible"} and len(reasons) == 2
    runtime = await Runtime.open(
        sqlite_url(tmp_path / "hub.db"), registry=registry, keyring=Keyring([Fernet.generate_key().decode()], "t")
    )
    try:
        app = create_app(runtime, AdminToken(TOKEN, "environment"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            assert (await client.get("/plugins")).status_code == 303
            await sign_in(client)
            page = (await client.get("/plugins")).text
    finally:
        await runtime.aclose()
    assert "2 plugin(s) did not load" in page
    for name, record in reasons.items():
        row = page[page.index(f'<tr data-plugin="{name}"') :]
        row = row[: row.index("</tr>")]
        assert f'data-status="{record.status.value}"' in row
        assert record.hint and record.hint.split("\n")[0][:40] in row.replace("&#39;", "'").replace("&quot;", '"')
    assert '<tr data-plugin="gumroad">' in page and 'id="blocked"' in page  # the rest: switched off
