"""The `sqs` extra against a local SQS server (moto's server mode): notifications into the hub's events, none lost.

Needs the extra and moto's server (`pip install 'fusionhub-amazon[sqs]' 'moto[server]'`); skipped without them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fusionhub.clock import VirtualClock
from fusionhub.errors import ValidationError
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub_amazon import sqs
from fusionhub_amazon.sandbox import AmazonSandbox

pytest.importorskip("aiobotocore", reason="the sqs extra is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

ACCOUNT, REGION = "123456789012", "us-east-1"
KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}  # moto accepts any


@pytest.fixture(scope="module")
def endpoint() -> Any:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[tuple[Runtime, str, AmazonSandbox]]:
    clock = VirtualClock()
    sandbox = AmazonSandbox(clock)
    db = Database(sqlite_url(tmp_path / "events.db"))
    await db.ensure_schema()
    runtime = Runtime(
        db,
        registry=Registry.discover(allow={"amazon-sc"}),
        clock=clock,
        keyring=Keyring([Fernet.generate_key().decode()], "test keys"),
        transport_for=lambda store: sandbox.transport(),
    )
    await runtime.register_plugins()
    store = await runtime.stores.add("amazon us", "amazon-sc", sandbox.credentials(), sandbox.store_config())
    try:
        yield runtime, store.id, sandbox
    finally:
        await runtime.aclose()


async def make_queue(client: Any, name: str, visibility: int = 30) -> tuple[str, str]:
    made = await client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(visibility)})
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    return made["QueueUrl"], arn


async def test_notifications_become_events_once_and_leave_the_queue(
    endpoint: str, hub: tuple[Runtime, str, AmazonSandbox]
) -> None:
    runtime, store_id, sandbox = hub
    order_id = next(iter(sandbox.world.orders))
    change = sandbox.notification("ORDER_CHANGE", order_id)
    foreign = sandbox.notification("ORDER_CHANGE", order_id, application_id="amzn1.sp.solution.other")

    async def ingest(headers: Mapping[str, str], body: bytes) -> Any:
        return await runtime.events.ingest(store_id, headers, body)

    async with sqs.open_client(REGION, endpoint_url=endpoint, **KEYS) as client:
        made_url, arn = await make_queue(client, "fusionhub-orders")
        url = await sqs.queue_url(client, arn)
        assert url == made_url
        for body in (change, change, sandbox.notification("FEED_PROCESSING_FINISHED", "50000001"), foreign):
            await client.send_message(QueueUrl=url, MessageBody=body.decode())
        total = sqs.Read()
        for _ in range(3):
            read = await sqs.read_once(client, url, ingest, wait_seconds=1)
            total.received, total.ingested, total.refused = (
                total.received + read.received,
                total.ingested + read.ingested,
                total.refused + read.refused,
            )
        left = await client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )
    assert (total.received, total.ingested, total.refused) == (4, 3, 1)
    events = await runtime.events.list(store_id)
    assert sorted(e["type"] for e in events) == ["operation.finished", "order.updated"]  # the duplicate dropped
    attributes = left["Attributes"]
    assert (
        int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 1
    )


class Crash(Exception):
    """The reader's process dying at that point."""


async def test_a_reader_that_dies_loses_nothing(endpoint: str, hub: tuple[Runtime, str, AmazonSandbox]) -> None:
    runtime, store_id, sandbox = hub
    stored: list[bytes] = []

    async def ingest(headers: Mapping[str, str], body: bytes) -> Any:
        stored.append(body)
        return await runtime.events.ingest(store_id, headers, body)

    async with sqs.open_client(REGION, endpoint_url=endpoint, **KEYS) as client:
        url, _ = await make_queue(client, "fusionhub-crash", visibility=1)
        await client.send_message(QueueUrl=url, MessageBody=sandbox.notification("ORDER_CHANGE", "113-1").decode())

        class DiesBeforeDelete:
            async def receive_message(self, **kwargs: Any) -> dict[str, Any]:
                return await client.receive_message(**kwargs)  # type: ignore[no-any-return]

            async def delete_message(self, **kwargs: Any) -> Any:
                raise Crash

            async def get_queue_url(self, **kwargs: Any) -> dict[str, Any]:
                return await client.get_queue_url(**kwargs)  # type: ignore[no-any-return]

        with pytest.raises(Crash):
            await sqs.read_once(DiesBeforeDelete(), url, ingest, wait_seconds=1)
        await asyncio.sleep(1.2)  # the visibility timeout: SQS delivers the message again
        again = await sqs.read_once(client, url, ingest, wait_seconds=2)
        after = await sqs.read_once(client, url, ingest, wait_seconds=1)
    assert len(stored) == 2 and again.ingested == 1 and after.received == 0  # delivered twice, deleted once
    assert len(await runtime.events.list(store_id)) == 1  # stored once


def test_a_queue_arn_is_checked() -> None:
    assert sqs.parse_arn("arn:aws:sqs:eu-west-1:123456789012:q") == ("eu-west-1", "123456789012", "q")
    with pytest.raises(ValidationError, match="arn:aws:sqs"):
        sqs.parse_arn("arn:aws:sns:eu-west-1:123456789012:q")
