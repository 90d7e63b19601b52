"""More of the backend-independent queue suite: what a job may cost before it ends, and whose jobs a worker takes.

Imported by each backend's queue tests next to `queue_suite` (same `harness` fixture).
"""

from __future__ import annotations

from queue_suite import Harness
from runtime_fakes import SLUG

from fusionhub.jobs import JobStatus, Worker


async def test_a_worker_given_a_tree_runs_that_job_and_its_children_only(harness: Harness) -> None:
    other_store = await harness.runtime.stores.add("other", SLUG, {"api_key": "k2"})
    elsewhere = await harness.runtime.enqueue(other_store.id, "get_product", {"product_id": "p1"})
    # Due before ours, but not in our store's line (on PostgreSQL a job due later waits out of line).
    ahead = await harness.enqueue("get_product", {"product_id": "p2"}, run_at=harness.clock.now() + 50)
    items = [{"product_id": f"p{i}", "changes": {"title": f"t{i}"}} for i in range(3)]
    mine = await harness.enqueue("bulk_update", {"items": items}, run_at=harness.clock.now() + 60)
    worker = Worker(harness.runtime, concurrency=2, heartbeat=False, lease_seconds=60, tree=mine.id)
    await worker.run_until_idle()
    done = await harness.job(mine.id)
    assert done.status is JobStatus.SUCCEEDED and done.result["succeeded"] == 3
    assert (await harness.job(elsewhere.id)).status is JobStatus.QUEUED
    assert (await harness.job(ahead.id)).status is JobStatus.QUEUED
    assert sorted(path for *_, path in harness.fake.log) == [f"/products/p{i}" for i in range(3)]
