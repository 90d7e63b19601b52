"""The job queue's semantics, written once for every backend.

A backend's test module provides the `queue_backend` fixture (a `Backend`: how to open its
database and its JobQueue) and imports these tests: `from queue_suite import *`.
Time is a stepping clock: a worker with nothing due "sleeps" by moving the clock, so
back-offs, rate-limit delays and operation polls cost no wall time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet
from runtime_fakes import SLUG, FakePlatform, registry

from fusionhub.clock import VirtualClock
from fusionhub.context import RunMode
from fusionhub.jobs import Job, JobQueue, JobStatus, Worker
from fusionhub.jobs.model import Decision
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database

__all__ = [
    "Backend",
    "Harness",
    "SteppingClock",
    "harness",
    "test_a_keyed_write_re_run_after_a_lost_response_sends_the_same_key",
    "test_a_possibly_sent_write_without_once_is_not_resent",
    "test_a_throttled_first_run_is_not_a_rerun",
    "test_a_write_killed_after_it_reached_the_platform_is_found_not_repeated",
    "test_auth_error_fails_at_once_with_a_friendly_message",
    "test_cancel_a_fanned_out_parent_cancels_its_children",
    "test_cancel_a_queued_job_it_never_runs",
    "test_cancel_a_running_job_ends_it_cancelled",
    "test_enqueue_with_a_known_idempotency_key_returns_the_first_job",
    "test_long_running_operation_is_polled_by_rescheduled_jobs",
    "test_rate_limited_jobs_are_rescheduled_not_slept",
    "test_retried_create_does_not_create_twice",
    "test_settle_by_a_worker_that_lost_its_lease_changes_nothing",
    "test_success_stores_result_and_level",
    "test_transient_error_gives_up_after_max_retries_with_its_category",
    "test_transient_error_retries_with_backoff",
    "test_unsupported_fails_at_once_without_io_and_names_the_manual_workaround",
    "test_validation_errors_fail_at_once",
    "test_workaround_bulk_fans_out_reports_progress_and_aggregates",
    "test_worker_killed_mid_job_its_job_runs_again_after_the_lease",
]


class SteppingClock(VirtualClock):
    """Virtual time on any event loop: sleeping moves the clock instead of waiting."""

    async def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


@dataclass
class Backend:
    database: Callable[[], Database]
    queue: Callable[[Database], JobQueue]


@dataclass
class Harness:
    runtime: Runtime
    queue: JobQueue
    clock: SteppingClock
    fake: FakePlatform
    store_id: str
    worker: Worker

    async def enqueue(self, capability: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Job:
        return await self.runtime.enqueue(self.store_id, capability, params or {}, **kwargs)

    async def drain(self) -> None:
        await self.worker.run_until_idle()

    async def job(self, job_id: str) -> Job:
        found = await self.queue.get(job_id)
        assert found is not None
        return found

    async def step(self) -> bool:
        """Run the next due job (moving the clock to it if needed); False when nothing is left."""
        job = await self.queue.claim(self.worker.id, now=self.clock.now(), lease_seconds=60)
        if job is None:
            due = await self.queue.next_run_at()
            if due is None:
                return False
            self.clock.advance(max(0.0, due - self.clock.now()))
            return True
        await self.worker.process(job)
        return True


@pytest.fixture
async def harness(queue_backend: Backend) -> AsyncIterator[Harness]:
    clock = SteppingClock()
    db = queue_backend.database()
    await db.ensure_schema()
    fake = FakePlatform(clock)
    queue = queue_backend.queue(db)
    keyring = Keyring([Fernet.generate_key().decode()], "test keys")
    runtime = Runtime(db, registry=registry(), clock=clock, keyring=keyring, queue=queue, transport_for=fake.transport)
    await runtime.register_plugins()
    store = await runtime.stores.add("shop", SLUG, {"api_key": "k", "webhook_secret": "whsec"})
    worker = Worker(runtime, concurrency=1, heartbeat=False, lease_seconds=60)
    try:
        yield Harness(runtime, queue, clock, fake, store.id, worker)
    finally:
        await runtime.aclose()


def _update(pid: str) -> dict[str, Any]:
    return {"product_id": pid, "changes": {"title": f"new {pid}"}}


async def test_success_stores_result_and_level(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    assert job.status is JobStatus.QUEUED
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result["id"] == "p1" and done.result["title"] == "Product 1"
    assert done.level == "native" and done.attempts == 0 and done.finished_at is not None


async def test_rate_limited_jobs_are_rescheduled_not_slept(harness: Harness) -> None:
    started = harness.clock.now()
    jobs = [await harness.enqueue("get_product", {"product_id": f"p{i}"}) for i in range(5)]
    await harness.drain()
    done = [await harness.job(j.id) for j in jobs]
    assert all(j.status is JobStatus.SUCCEEDED for j in done)
    assert sum(j.throttled for j in done) >= 4  # 2 requests/s: all but the first had to wait
    ctx = await harness.runtime.context(harness.store_id)
    assert ctx.limiter.stats.waits == 0 and ctx.limiter.stats.refused >= 4  # no task ever slept on a bucket
    times = sorted(t for t, *_ in harness.fake.log)
    assert len(times) == 5  # a refused acquire sends nothing
    assert all(b - a >= 0.5 - 1e-6 for a, b in itertools.pairwise(times))
    assert harness.clock.now() - started >= 2.0 - 1e-6


async def test_transient_error_retries_with_backoff(harness: Harness) -> None:
    harness.fake.fail_left["p1"] = 2
    job = await harness.enqueue("update_product", _update("p1"))
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 2
    times = [t for t, *_ in harness.fake.log]
    assert len(times) == 3
    assert times[1] - times[0] >= 1.0 - 1e-6 and times[2] - times[1] >= 2.0 - 1e-6  # back-off grows


async def test_transient_error_gives_up_after_max_retries_with_its_category(harness: Harness) -> None:
    job = await harness.enqueue("update_product", _update("down1"))
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.FAILED
    assert done.error_category == "transient" and done.attempts == 3  # max_retries 2: three tries in all
    assert "gave up after 3 attempts" in (done.error_message or "")
    assert len(harness.fake.log) == 3


async def test_auth_error_fails_at_once_with_a_friendly_message(harness: Harness) -> None:
    await harness.runtime.stores.update_credentials(harness.store_id, {"api_key": "revoked"})
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.FAILED and done.error_category == "auth" and done.attempts == 0
    assert "credentials were rejected" in (done.error_message or "")
    assert "revoked" not in (done.error_message or "")
    assert len(harness.fake.log) == 1


async def test_validation_errors_fail_at_once(harness: Harness) -> None:
    rejected = await harness.enqueue("update_product", _update("bad1"))
    malformed = await harness.enqueue("update_product", {"changes": {"title": "x"}})
    await harness.drain()
    by_platform, by_params = await harness.job(rejected.id), await harness.job(malformed.id)
    assert by_platform.status is JobStatus.FAILED and by_platform.error_category == "validation"
    assert by_params.status is JobStatus.FAILED and by_params.error_category == "validation"
    assert "params.product_id" in (by_params.error_message or "")
    assert by_platform.attempts == by_params.attempts == 0
    assert len(harness.fake.log) == 1  # malformed params never reached the platform


async def test_unsupported_fails_at_once_without_io_and_names_the_manual_workaround(harness: Harness) -> None:
    job = await harness.enqueue("update_order_status", {"order_id": "o1", "action": "ship"})
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.FAILED and done.error_category == "unsupported"
    assert "change the order in the fake's admin" in (done.error_message or "")
    assert harness.fake.log == []


async def test_cancel_a_queued_job_it_never_runs(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"}, run_at=harness.clock.now() + 100)
    cancelled = await harness.queue.cancel(job.id, now=harness.clock.now())
    assert cancelled is not None and cancelled.status is JobStatus.CANCELLED
    await harness.drain()
    assert (await harness.job(job.id)).status is JobStatus.CANCELLED
    assert harness.fake.log == []


async def test_cancel_a_running_job_ends_it_cancelled(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    claimed = await harness.queue.claim("w1", now=harness.clock.now(), lease_seconds=60)
    assert claimed is not None and claimed.id == job.id and claimed.status is JobStatus.RUNNING
    requested = await harness.queue.cancel(job.id, now=harness.clock.now())
    assert requested is not None and requested.cancel_requested
    # The worker's heartbeat learns of it, and a would-be re-schedule ends as cancelled.
    assert not await harness.queue.extend(job.id, "w1", lease_until=harness.clock.now() + 60)
    retry = Decision(JobStatus.QUEUED, run_at=harness.clock.now() + 1, throttled=True)
    assert await harness.queue.settle(job.id, "w1", retry, now=harness.clock.now())
    assert (await harness.job(job.id)).status is JobStatus.CANCELLED


async def test_workaround_bulk_fans_out_reports_progress_and_aggregates(harness: Harness) -> None:
    items = [_update(f"p{i}") for i in range(5)]
    items.insert(2, _update("bad-item"))
    parent = await harness.enqueue("bulk_update", {"items": items})
    seen: list[int] = []
    while await harness.step():
        current = await harness.job(parent.id)
        if current.progress_total is not None:
            seen.append(current.progress_done)
    done = await harness.job(parent.id)
    assert done.status is JobStatus.SUCCEEDED and done.level == "workaround"
    assert done.progress_total == 6 and done.progress_done == 6
    assert seen == sorted(seen) and set(range(0, 7)) <= set(seen)  # progress moved one item at a time
    result = done.result
    assert (result["total"], result["succeeded"], result["failed"]) == (6, 5, 1)
    failed = [i for i in result["items"] if not i["ok"]]
    assert [(i["index"], i["error_category"]) for i in failed] == [(2, "validation")]
    assert [i["key"] for i in result["items"]] == ["p0", "p1", "bad-item", "p2", "p3", "p4"]
    assert [i["result"]["title"] for i in result["items"] if i["ok"]] == [f"new p{i}" for i in range(5)]
    children = await harness.queue.list(parent_id=parent.id, limit=None)
    assert [c.item_index for c in children] == list(range(6)) and all(c.parent_id == parent.id for c in children)
    times = sorted(t for t, *_ in harness.fake.log)
    assert len(times) == 6
    assert all(b - a >= 0.5 - 1e-6 for a, b in itertools.pairwise(times))  # within the rate limit


async def test_cancel_a_fanned_out_parent_cancels_its_children(harness: Harness) -> None:
    parent = await harness.enqueue("bulk_update", {"items": [_update(f"p{i}") for i in range(4)]})
    assert await harness.step()  # the parent fans out and waits
    assert (await harness.job(parent.id)).status is JobStatus.WAITING
    await harness.queue.cancel(parent.id, now=harness.clock.now())
    children = await harness.queue.list(parent_id=parent.id, limit=None)
    assert len(children) == 4 and all(c.status is JobStatus.CANCELLED for c in children)
    await harness.drain()
    assert (await harness.job(parent.id)).status is JobStatus.CANCELLED
    assert harness.fake.log == []


async def test_long_running_operation_is_polled_by_rescheduled_jobs(harness: Harness) -> None:
    started = harness.clock.now()
    job = await harness.enqueue("bulk_operations", {"kind": "export_products"})
    assert await harness.step()
    polled = await harness.job(job.id)
    assert polled.status is JobStatus.QUEUED and polled.state["handle"]["status"] == "created"
    assert polled.run_at >= started + 10  # the handle's poll_after_seconds, not a sleeping worker
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result["status"] == "completed" and (done.progress_done, done.progress_total) == (3, 3)
    assert harness.fake.operations == {"op0": 3}
    assert harness.clock.now() - started >= 30


async def test_enqueue_with_a_known_idempotency_key_returns_the_first_job(harness: Harness) -> None:
    first = await harness.enqueue("get_product", {"product_id": "p1"}, idempotency_key="k-1")
    again = await harness.enqueue("get_product", {"product_id": "p2"}, idempotency_key="k-1")
    assert again.id == first.id and again.params == {"product_id": "p1"}
    await harness.drain()
    assert len(harness.fake.log) == 1


async def test_retried_create_does_not_create_twice(harness: Harness) -> None:
    before = len(harness.fake.products)
    job = await harness.enqueue("create_product", {"product": {"title": "Mug"}}, idempotency_key="create-mug")
    harness.fake.flaky_keys.add("create-mug")  # created, then the response is lost (503)
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1
    assert len(harness.fake.products) == before + 1
    assert [p["title"] for p in harness.fake.products.values()].count("Mug") == 1


async def test_worker_killed_mid_job_its_job_runs_again_after_the_lease(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    dead = await harness.queue.claim("dead-worker", now=harness.clock.now(), lease_seconds=30)
    assert dead is not None and dead.id == job.id
    assert await harness.queue.claim("other", now=harness.clock.now() + 29, lease_seconds=30) is None
    await harness.drain()  # waits out the lease, then runs it
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.worker_id == harness.worker.id
    assert len(harness.fake.log) == 1


async def test_settle_by_a_worker_that_lost_its_lease_changes_nothing(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    await harness.queue.claim("slow", now=harness.clock.now(), lease_seconds=5)
    harness.clock.advance(6)
    await harness.drain()
    late = Decision(JobStatus.FAILED, error_category="platform", error_message="too late")
    assert not await harness.queue.settle(job.id, "slow", late, now=harness.clock.now())
    assert (await harness.job(job.id)).status is JobStatus.SUCCEEDED


async def _died_after_sending(harness: Harness, capability: str, params: dict[str, Any]) -> Job:
    """A worker takes the job, its call reaches the platform, and the worker dies before settling."""
    job = await harness.enqueue(capability, params)
    dead = await harness.queue.claim("dead-worker", now=harness.clock.now(), lease_seconds=30)
    assert dead is not None and dead.id == job.id
    ctx = await harness.runtime.context(harness.store_id)
    await harness.runtime.hub.execute(ctx.store, capability, params, mode=RunMode.AUTOMATED, call_key=dead.id)
    return job


async def test_a_write_killed_after_it_reached_the_platform_is_found_not_repeated(harness: Harness) -> None:
    job = await _died_after_sending(harness, "create_product", {"product": {"title": "Vase"}})
    await harness.drain()  # after the lease: the re-run asks the plugin's reconcile hook first
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.claims == 2
    assert [p["title"] for p in harness.fake.products.values()].count("Vase") == 1
    assert harness.fake.writes.count("POST /products") == 1
    assert done.result["title"] == "Vase"


async def test_a_keyed_write_re_run_after_a_lost_response_sends_the_same_key(harness: Harness) -> None:
    job = await _died_after_sending(harness, "process_refund", {"order_id": "o1"})
    (first_key,) = harness.fake.refunds
    harness.fake.flaky_keys.add(first_key)  # the re-run's answer is lost too: a third run
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1 and done.claims == 3
    assert list(harness.fake.refunds) == [first_key] and harness.fake.writes == ["POST /refunds/o1"]
    assert first_key != job.id  # derived from the job (and store), not the job id itself
    other = await harness.enqueue("process_refund", {"order_id": "o1"})
    await harness.drain()
    assert (await harness.job(other.id)).status is JobStatus.SUCCEEDED
    assert len(harness.fake.refunds) == 2  # another job is another refund


async def test_a_possibly_sent_write_without_once_is_not_resent(harness: Harness) -> None:
    params = {"target": {"sku": "MUG-1", "quantity": 4}}
    job = await _died_after_sending(harness, "update_variant_inventory", params)
    await harness.drain()
    done = await harness.job(job.id)
    assert done.status is JobStatus.FAILED and done.error_category == "refused"
    assert "not sent again" in (done.error_message or "")
    assert harness.fake.writes == ["PUT /stock/MUG-1"]


async def test_a_throttled_first_run_is_not_a_rerun(harness: Harness) -> None:
    params = {"target": {"sku": "MUG-2", "quantity": 1}}
    jobs = [await harness.enqueue("update_variant_inventory", params) for _ in range(6)]
    await harness.drain()  # the bucket refuses some at their first request: re-scheduled, sent later
    done = [await harness.job(j.id) for j in jobs]
    assert all(d.status is JobStatus.SUCCEEDED for d in done), [d.error_message for d in done]
    assert sum(d.throttled for d in done) > 0
    assert harness.fake.writes.count("PUT /stock/MUG-2") == 6
