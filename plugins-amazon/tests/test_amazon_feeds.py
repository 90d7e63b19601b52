"""Bulk writes as JSON_LISTINGS_FEED: a handle the job runner polls, a processing report per item."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from amazon_spec_check import feed_problems, load
from cryptography.fernet import Fernet

from fusionhub.clock import VirtualClock
from fusionhub.hub import Hub
from fusionhub.jobs import JobStatus, SqlJobQueue, Worker
from fusionhub.jobs.runner import bulk_from_handle
from fusionhub.models import OperationHandle
from fusionhub.params import UpdateProductParams
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub.testing.harness import SandboxRun
from fusionhub_amazon import feeds
from fusionhub_amazon.sandbox import AmazonSandbox

Make = Callable[..., SandboxRun]
PROCESSING = 900.0  # the sandbox's queue (60 s) + processing (840 s)


# Core refuses a negative quantity in its own fields; a raw patch reaches Amazon, which refuses it.
NEGATIVE_STOCK = {
    "op": "merge",
    "path": "/attributes/fulfillment_availability",
    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": -4}],
}


def items() -> list[dict[str, Any]]:
    return [
        {"product_id": "SKU-001", "changes": {"price": {"amount": "9.99", "currency": "USD"}}},
        {"product_id": "SKU-002", "changes": {"platform_fields": {"patches": [NEGATIVE_STOCK]}}},  # refused by Amazon
        {"product_id": "GONE-1", "changes": {"variants": [{"inventory_quantity": 1}]}},  # no such SKU
        {"product_id": "SKU-003", "changes": {"variants": [{"inventory_quantity": 0}]}},
    ]


def start(amazon: SandboxRun) -> OperationHandle:
    return amazon.clock.run(amazon.execute("bulk_operations", {"kind": "update_products", "items": items()})).value


def poll(amazon: SandboxRun, handle: OperationHandle) -> OperationHandle:
    return amazon.clock.run(amazon.execute("bulk_operations", {"handle": handle.model_dump(mode="json")})).value


def test_a_feed_is_uploaded_submitted_polled_and_reported_per_item(amazon_run: Make) -> None:
    amazon = amazon_run()
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    handle = start(amazon)
    assert handle.status == "running" and handle.kind == "feed" and handle.poll_after_seconds == 5
    steps = [(r.method, r.url.host, r.url.path.split("/")[-1]) for r in sandbox.requests]
    assert [s[0] for s in steps] == ["POST", "PUT", "POST"]  # createFeedDocument, upload, createFeed
    assert steps[1][1].endswith("amazonaws.com")
    (document,) = sandbox.uploaded_documents()
    models = load()
    assert models is None or feed_problems(models, document) == []
    assert json.loads(document)["messages"][0] == {
        "messageId": 1,
        "sku": "SKU-001",
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/purchasable_offer",
                "value": [
                    {
                        "marketplace_id": "ATVPDKIKX0DER",
                        "currency": "USD",
                        "our_price": [{"schedule": [{"value_with_tax": 9.99}]}],
                    }
                ],
            }
        ],
    }

    amazon.clock.advance(30)
    before, now = len(sandbox.requests), amazon.clock.now()
    handle = poll(amazon, handle)
    assert handle.status == "running" and handle.done == 0
    assert len(sandbox.requests) == before + 1 and amazon.clock.now() == now  # one getFeed, nothing slept

    amazon.clock.advance(PROCESSING)
    handle = poll(amazon, handle)
    assert handle.status == "completed" and handle.done == handle.total == 4
    bulk = bulk_from_handle(handle)
    assert (bulk.total, bulk.succeeded, bulk.failed) == (4, 2, 2)
    outcome = {o.index: o for o in bulk.items}
    assert outcome[0].ok and outcome[3].ok
    assert outcome[1].error is not None and outcome[1].error.startswith("99022 (ERROR) SKU-002")
    assert outcome[2].error is not None and "GONE-1" in outcome[2].error
    assert sandbox.world.listings["SKU-003"].quantity() == 0
    assert sandbox.world.listings["SKU-001"].price() == (9.99, "USD")


def test_bulk_update_returns_at_once_with_the_feed_handle(amazon_run: Make) -> None:
    amazon = amazon_run()
    result = amazon.clock.run(amazon.execute("bulk_update", {"items": items()[:1]})).value
    assert result.total == 1 and result.operation is not None and not result.operation.finished


def test_a_crash_while_polling_resumes_from_the_stored_handle(amazon_run: Make) -> None:
    amazon = amazon_run()
    stored = json.dumps(start(amazon).model_dump(mode="json"))  # what the job queue kept
    amazon.clock.advance(PROCESSING + 30)
    # A new process: another hub (no plugin state), the same platform.
    hub = Hub(Registry.discover(allow={"amazon-sc"}), clock=amazon.clock)
    hub.connect(amazon.store, transport=amazon.sandbox.transport())

    async def resume() -> OperationHandle:
        try:
            outcome = await hub.execute(amazon.store, "bulk_operations", {"handle": json.loads(stored)})
            return outcome.value
        finally:
            await hub.aclose()

    handle = amazon.clock.run(resume())
    assert handle.status == "completed" and handle.result is not None and handle.result["failed"] == 2


def test_more_than_25000_messages_are_split_into_feeds(amazon_run: Make) -> None:
    amazon = amazon_run()
    many = [
        UpdateProductParams(product_id=f"S{i}", changes={"variants": [{"inventory_quantity": 1}]})
        for i in range(25_001)
    ]
    documents = feeds.documents(amazon.ctx, many)
    assert [len(d["messages"]) for d in documents] == [25_000, 1]
    assert documents[1]["messages"][0] == {**documents[0]["messages"][0], "sku": "S25000"}  # messageIds restart at 1


def test_at_most_five_submissions_per_five_minutes(amazon_run: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_MESSAGES", 1)  # 7 items: 7 feed documents
    amazon = amazon_run(listings=7)
    seven = [{"product_id": f"SKU-{i:03d}", "changes": {"variants": [{"inventory_quantity": i}]}} for i in range(1, 8)]
    handle = amazon.clock.run(amazon.execute("bulk_operations", {"kind": "update_products", "items": seven})).value
    submitted = [c for c in handle.state["chunks"] if c["feed_id"] is not None]
    assert len(handle.state["chunks"]) == 7 and len(submitted) == 5
    amazon.clock.advance(301)
    handle = poll(amazon, handle)
    assert all(c["feed_id"] is not None for c in handle.state["chunks"])
    amazon.clock.advance(PROCESSING)
    handle = poll(amazon, handle)
    assert handle.status == "completed" and bulk_from_handle(handle).failed == 0
    assert amazon.sandbox.throttled == 0


def test_export_kinds_are_refused(amazon_run: Make) -> None:
    from fusionhub.errors import ValidationError

    amazon = amazon_run()
    with pytest.raises(ValidationError, match="listings feed"):
        amazon.clock.run(amazon.execute("bulk_operations", {"kind": "export_products"}))


def test_a_fatal_feed_fails_every_item_with_amazons_reason(amazon_run: Make) -> None:
    amazon = amazon_run()
    handle = start(amazon)
    amazon.sandbox.world.seller_id = "A9OTHERSELLER"  # type: ignore[attr-defined]  # the header no longer matches
    amazon.clock.advance(PROCESSING)
    handle = poll(amazon, handle)
    assert handle.status == "completed" and handle.error is not None and "FATAL" in handle.error
    bulk = bulk_from_handle(handle)
    assert bulk.failed == 4 and all(o.error and "90001" in o.error for o in bulk.items)


class SteppingClock(VirtualClock):
    """Virtual time on any event loop: a worker with nothing due moves the clock instead of sleeping."""

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, AmazonSandbox, SteppingClock]]:
    clock = SteppingClock()
    sandbox = AmazonSandbox(clock)
    db = Database(sqlite_url(tmp_path / "jobs.db"))
    await db.ensure_schema()
    runtime = Runtime(
        db,
        registry=Registry.discover(allow={"amazon-sc"}),
        clock=clock,
        keyring=Keyring([Fernet.generate_key().decode()], "test keys"),
        queue=SqlJobQueue(db),
        transport_for=lambda store: sandbox.transport(),
    )
    await runtime.register_plugins()
    try:
        yield runtime, sandbox, clock
    finally:
        await runtime.aclose()


async def test_the_job_runner_polls_the_feed_on_the_handles_schedule(
    runtime: tuple[Runtime, AmazonSandbox, SteppingClock],
) -> None:
    hub_runtime, sandbox, clock = runtime
    store = await hub_runtime.stores.add("amazon us", "amazon-sc", sandbox.credentials(), sandbox.store_config())
    started = clock.now()
    job = await hub_runtime.enqueue(store.id, "bulk_update", {"items": items()})
    await Worker(hub_runtime, concurrency=1, heartbeat=False, lease_seconds=60).run_until_idle()
    done = await hub_runtime.queue.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert (done.result["total"], done.result["succeeded"], done.result["failed"]) == (4, 2, 2)
    polls = [r for r in sandbox.requests if r.method == "GET" and "/feeds/2021-06-30/feeds/" in r.url.path]
    assert PROCESSING <= clock.now() - started <= PROCESSING + feeds.POLL_SECONDS
    # one getFeed per scheduled poll: after 5, 10, 20 s, then every 30 s
    assert len(polls) == pytest.approx(3 + (PROCESSING - 35) / feeds.POLL_SECONDS, abs=1.5)
    assert sandbox.throttled == 0


def test_a_refused_submission_waits_in_the_handle(amazon_run: Make) -> None:
    amazon = amazon_run()
    # Other feeds of the region used the 5 submissions: every createFeed of this call is refused
    # (core resends it after the bucket's refill, up to its attempts), then the next poll submits it.
    amazon.sandbox.faults.fail(429, on="createFeed", times=4)  # type: ignore[attr-defined]
    handle = start(amazon)
    assert handle.status == "running" and handle.state["chunks"][0]["feed_id"] is None
    assert handle.state["chunks"][0]["status"] == "WAITING"
    amazon.clock.advance(300)
    handle = poll(amazon, handle)
    assert handle.state["chunks"][0]["feed_id"] is not None
    amazon.clock.advance(PROCESSING)
    assert bulk_from_handle(poll(amazon, handle)).failed == 2


def test_a_refused_document_upload_is_a_platform_error_not_an_auth_error(amazon_run: Make) -> None:
    from fusionhub.errors import PlatformError

    amazon = amazon_run()
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    real = sandbox.document_url
    sandbox.document_url = lambda document_id: real(document_id).replace("X-Amz-Date=", "X-Amz-Date=1")  # type: ignore[method-assign]
    with pytest.raises(PlatformError, match="upload was refused with HTTP 403"):
        start(amazon)
