"""`events.ingest(..., url=)`: the delivery's URL reaches a parse_webhook that names `url`, and only one that does.

Platforms that do not sign deliveries (a secret in the callback URL instead) need the URL; plugins
whose hookimpl leaves `url` out (pluggy's subset rule) keep working unchanged.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture
from runtime_fakes import SLUG, QueueTestPlugin, registry, signature

from fusionhub import hookimpl
from fusionhub.errors import AuthError
from fusionhub.models import Event
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database
from fusionhub.stores import Store


class SecretInUrlPlugin(QueueTestPlugin):
    """Deliveries unsigned; the callback URL carries `?key=<webhook_secret>`."""

    @hookimpl
    async def fusionhub_parse_webhook(
        self, store: Store, headers: Mapping[str, str], body: bytes, url: str | None
    ) -> list[Event]:
        given = parse_qs(urlsplit(url or "").query).get("key", [""])[0]
        if not hmac.compare_digest(given.encode(), store.credentials["webhook_secret"].encode()):
            raise AuthError("wrong or missing secret in the callback URL")
        data = json.loads(body)
        return [Event(platform=SLUG, type="order.created", delivery_id=data["id"], resource_id=data["id"])]


def _runtime(database: Database, reg: Registry) -> Runtime:  # noqa: F811
    return Runtime(database, registry=reg, keyring=Keyring([Fernet.generate_key().decode()], "test keys"))


async def test_the_url_reaches_a_hookimpl_that_names_it(database: Database) -> None:  # noqa: F811
    reg = Registry(allow=None, deny=())
    reg.add(SecretInUrlPlugin(), SLUG)
    runtime = _runtime(database, reg)
    await runtime.register_plugins()
    try:
        await runtime.stores.add("shop", SLUG, {"api_key": "k", "webhook_secret": "s3cr3t-s3cr3t"})
        body = json.dumps({"id": "o1"}).encode()
        done = await runtime.events.ingest("shop", {}, body, url="/webhooks/shop?key=s3cr3t-s3cr3t")
        assert [e.delivery_id for e in done.new] == ["o1"]
        for url in ("/webhooks/shop?key=guess", "/webhooks/shop", None):
            with pytest.raises(AuthError):
                await runtime.events.ingest("shop", {}, body, url=url)
    finally:
        await runtime.hub.aclose()


async def test_a_hookimpl_without_url_is_called_as_before(database: Database) -> None:  # noqa: F811
    runtime = _runtime(database, registry())
    await runtime.register_plugins()
    try:
        await runtime.stores.add("shop", SLUG, {"api_key": "k", "webhook_secret": "whsec"})
        body = json.dumps({"type": "order.created", "id": "o1"}).encode()
        headers = {"X-Signature": signature("whsec", body), "X-Delivery": "d-1"}
        done = await runtime.events.ingest("shop", headers, body, url="/webhooks/shop")
        assert [e.delivery_id for e in done.new] == ["d-1"]
    finally:
        await runtime.hub.aclose()
