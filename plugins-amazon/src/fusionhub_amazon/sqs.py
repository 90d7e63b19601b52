"""The `sqs` extra (`pip install fusionhub-amazon[sqs]`): read SP-API notifications from an SQS queue.

Amazon delivers notifications (ORDER_CHANGE, FEED_PROCESSING_FINISHED, ...) to the SQS queue of a
destination; the hub reads that queue with long polling and hands each message body to `ingest`
— in a host, `runtime.events.ingest(store_id, headers, body)`, which parses it with this plugin's
`fusionhub_parse_webhook` and stores the event (one per delivery id). A message is deleted only
after `ingest` returned: a reader that dies in between leaves it in the queue, SQS makes it visible
again after the visibility timeout, and the second delivery is dropped as a duplicate by its
NotificationId. Nothing is lost and nothing is stored twice. A message `ingest` refuses (another
seller's, malformed) stays in the queue too, for the queue's redrive policy to move aside.

aiobotocore is imported only here, when a client is opened; the reader itself takes any client
with aiobotocore's `receive_message` / `delete_message`.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from fusionhub.plugin import AuthError, ValidationError

Ingest = Callable[[Mapping[str, str], bytes], Awaitable[Any]]
LONG_POLL_SECONDS = 20  # SQS's maximum wait for a receive
BATCH = 10  # SQS's maximum messages per receive


class SqsClient(Protocol):
    async def receive_message(self, **kwargs: Any) -> dict[str, Any]: ...

    async def delete_message(self, **kwargs: Any) -> Any: ...

    async def get_queue_url(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass
class Read:
    """What one receive brought: messages received, stored (or known already), refused."""

    received: int = 0
    ingested: int = 0
    refused: int = 0


def parse_arn(arn: str) -> tuple[str, str, str]:
    """`arn:aws:sqs:<region>:<account>:<queue>` → (region, account, queue name)."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not all(parts[3:]):
        raise ValidationError(errors=[{"loc": "queue_arn", "msg": "arn:aws:sqs:<region>:<account>:<queue>"}])
    return parts[3], parts[4], parts[5]


async def queue_url(client: SqsClient, arn: str) -> str:
    _, account, name = parse_arn(arn)
    found = await client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
    return str(found["QueueUrl"])


async def read_once(client: SqsClient, url: str, ingest: Ingest, *, wait_seconds: int = LONG_POLL_SECONDS) -> Read:
    """One long-polling receive; each message ingested, then deleted."""
    answer = await client.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=wait_seconds)
    read = Read()
    for message in answer.get("Messages") or []:
        read.received += 1
        headers = {"x-amz-sqs-message-id": str(message.get("MessageId", ""))}
        try:
            await ingest(headers, str(message["Body"]).encode())
        except (AuthError, ValidationError):
            read.refused += 1  # not ours or not a notification: left for the queue's redrive policy
            continue
        await client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        read.ingested += 1
    return read


async def read_until(
    client: SqsClient, url: str, ingest: Ingest, stop: asyncio.Event, *, wait_seconds: int = LONG_POLL_SECONDS
) -> Read:
    """Receive until `stop` is set (checked between long polls); the totals."""
    total = Read()
    while not stop.is_set():
        read = await read_once(client, url, ingest, wait_seconds=wait_seconds)
        total.received += read.received
        total.ingested += read.ingested
        total.refused += read.refused
    return total


@asynccontextmanager
async def open_client(
    region: str,
    *,
    endpoint_url: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> AsyncIterator[SqsClient]:
    """An aiobotocore SQS client (the extra's dependency); keys None: botocore's own credential chain."""
    try:
        session_module = importlib.import_module("aiobotocore.session")
    except ImportError:
        raise RuntimeError("reading SQS needs the extra: pip install 'fusionhub-amazon[sqs]'") from None
    session = session_module.get_session()
    options: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url}
    if access_key_id is not None:
        options |= {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
    async with session.create_client("sqs", **options) as client:
        yield client
