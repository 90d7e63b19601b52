"""The backend-independent queue suite on PostgreSQL through procrastinate (127.0.0.1:5432/test
or FUSIONHUB_TEST_POSTGRES_URL).

Each test gets its own schema (search_path), dropped afterwards. procrastinate decides what
is due by the database's `now()`; the suite runs on a virtual clock, so in these schemas
`now()` is the clock the queue's caller hands over (`runtime_db.CALLER_NOW`). The queue's
code is the production code: it always hands the caller's time over, and against a real
`now()` it moves times onto the database's clock instead (checked below with a skewed caller).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from queue_failures_suite import *  # noqa: F403 - and these
from queue_suite import *  # noqa: F403 - the suite's tests run here against this backend
from queue_suite import Backend, Harness
from runtime_db import _drop, _pg_schema
from runtime_fakes import SLUG, FakePlatform, registry
from sqlalchemy import event

from fusionhub.jobs import Decision, JobStatus, NewJob, SqlJobQueue, Worker
from fusionhub.jobs.pg import ProcrastinateJobQueue, queue_for
from fusionhub.jobs.pg.runs import QUEUE, TASK
from fusionhub.jobs.sql import _values
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database
from fusionhub.storage.migrate import upgrade
from fusionhub.storage.schema import jobs

pytestmark = pytest.mark.postgres


@pytest.fixture
async def caller_clock_db() -> AsyncIterator[Database]:
    db, schema = await _pg_schema(caller_clock=True)
    try:
        yield db
    finally:
        await db.aclose()
        await _drop(schema)


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    db, schema = await _pg_schema()
    try:
        await db.ensure_schema()
        yield db
    finally:
        await db.aclose()
        await _drop(schema)


class TurnQueue(ProcrastinateJobQueue):
    """Every settle as a worker's turn makes it (`exchange`, the server-side call) rather than on
    its own: the suite runs both ways (claims always go through the call)."""

    async def settle(self, job_id: str, worker_id: str, decision: Decision, *, now: float) -> bool:
        job = await self.get(job_id)
        if job is None:
            return await super().settle(job_id, worker_id, decision, now=now)
        kept, claimed = await self.exchange(worker_id, [(job, decision)], now=now, lease_seconds=60, claim=0)
        assert claimed == []
        return kept[0]


@pytest.fixture(params=["settle", "turn"])
def queue_backend(request: pytest.FixtureRequest, caller_clock_db: Database) -> Backend:
    queue = TurnQueue if request.param == "turn" else ProcrastinateJobQueue
    return Backend(database=lambda: caller_clock_db, queue=queue)


async def _runs(db: Database, job_id: str) -> list[tuple[str, str, int]]:
    """The procrastinate jobs of one of ours: (status, task, attempts), oldest first."""
    async with db.read() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT status::text, task_name, attempts FROM procrastinate_jobs"
                " WHERE queueing_lock = :id AND queue_name = :queue ORDER BY id"
            ),
            {"id": job_id, "queue": QUEUE},
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_a_postgresql_url_selects_the_procrastinate_backend(pg_db: Database) -> None:
    assert isinstance(queue_for(pg_db), ProcrastinateJobQueue)
    sqlite = Database("sqlite+aiosqlite:///:memory:")
    assert type(queue_for(sqlite)) is SqlJobQueue
    await sqlite.aclose()


async def test_each_run_is_a_procrastinate_job(harness: Harness) -> None:
    """Re-schedules are procrastinate retries of one job; a fanned-out parent gets a second run."""
    db = harness.runtime.db
    slow = await harness.enqueue("update_product", {"product_id": "p1", "changes": {"title": "x"}})
    harness.fake.fail_left["p1"] = 1
    parent = await harness.enqueue(
        "bulk_update", {"items": [{"product_id": f"p{i}", "changes": {"title": "y"}} for i in (2, 3)]}
    )
    assert await _runs(db, slow.id) == [("todo", TASK, 0)]
    await harness.drain()
    assert (await harness.job(slow.id)).status is JobStatus.SUCCEEDED
    ((status, task, attempts),) = await _runs(db, slow.id)  # one procrastinate job, retried after the 503
    assert (status, task) == ("succeeded", TASK) and attempts >= 2
    assert [status for status, *_ in await _runs(db, parent.id)] == ["succeeded", "succeeded"]
    children = await harness.queue.list(parent_id=parent.id, limit=None)
    assert len(children) == 2
    for child in children:
        assert [s for s, *_ in await _runs(db, child.id)] == ["succeeded"]


async def test_an_abort_through_procrastinate_stops_the_running_job(harness: Harness) -> None:
    job = await harness.enqueue("get_product", {"product_id": "p1"})
    worker = harness.worker.id
    claimed = await harness.queue.claim(worker, now=harness.clock.now(), lease_seconds=60)
    assert claimed is not None
    async with harness.runtime.db.write() as conn:  # what procrastinate's own tools do to abort a job
        await conn.execute(
            sa.text("SELECT procrastinate_cancel_job_v1(:run_id, true, false)"), {"run_id": claimed.run_id}
        )
    assert not await harness.queue.extend(job.id, worker, lease_until=harness.clock.now() + 60)
    assert (await harness.job(job.id)).cancel_requested
    # The run's would-be re-schedule ends it cancelled, and procrastinate records it aborted.
    retry = Decision(JobStatus.QUEUED, run_at=harness.clock.now() + 1, throttled=True)
    assert await harness.queue.settle(job.id, worker, retry, now=harness.clock.now())
    assert (await harness.job(job.id)).status is JobStatus.CANCELLED
    assert await _runs(harness.runtime.db, job.id) == [("aborted", TASK, 1)]


async def test_a_store_runs_one_job_at_a_time_in_order_while_other_stores_go_on(harness: Harness) -> None:
    first = await harness.enqueue("get_product", {"product_id": "p1"})
    await harness.enqueue("get_product", {"product_id": "p2"})
    other = await harness.runtime.stores.add("shop2", SLUG, {"api_key": "k2"})
    elsewhere = await harness.runtime.enqueue(other.id, "get_product", {"product_id": "p9"})
    now = harness.clock.now()
    claimed = await harness.queue.claim("w1", now=now, lease_seconds=60)
    assert claimed is not None and claimed.id == first.id
    beside = await harness.queue.claim("w2", now=now, lease_seconds=60)
    assert beside is not None and beside.id == elsewhere.id  # the first store's line is busy
    assert await harness.queue.claim("w3", now=now, lease_seconds=60) is None


async def test_a_refused_job_keeps_its_place_and_the_line_waits_for_it(harness: Harness) -> None:
    jobs = [await harness.enqueue("get_product", {"product_id": f"p{i}"}) for i in range(4)]
    await harness.drain()
    assert [path for *_, path in harness.fake.log] == [f"/products/p{i}" for i in range(4)]  # first come, first served
    done = [await harness.job(j.id) for j in jobs]
    assert all(j.status is JobStatus.SUCCEEDED for j in done)
    assert [j.throttled for j in done] == [0, 1, 1, 1]  # each refused once, never twice


async def test_a_job_due_later_does_not_hold_up_its_store(harness: Harness) -> None:
    harness.fake.fail_left["p1"] = 1
    started = harness.clock.now()
    backing_off = await harness.enqueue("update_product", {"product_id": "p1", "changes": {"title": "x"}})
    delayed = await harness.enqueue("get_product", {"product_id": "p2"}, run_at=harness.clock.now() + 100)
    after = await harness.enqueue("get_product", {"product_id": "p3"})
    assert await harness.step()  # p1: 503, retried in 1 s, out of the line
    assert (await harness.job(backing_off.id)).attempts == 1
    while (await harness.job(after.id)).status is not JobStatus.SUCCEEDED:
        assert await harness.step()
    assert (await harness.job(delayed.id)).status is JobStatus.QUEUED  # p3 did not wait 100 s behind p2
    assert harness.clock.now() - started < 100
    await harness.drain()
    assert [path for *_, path in harness.fake.log] == ["/products/p1", "/products/p3", "/products/p1", "/products/p2"]


async def test_jobs_enqueued_while_workers_settle_their_store_s_jobs_all_run(pg_db: Database) -> None:
    """Producers and workers change the same store lines at once, on the wall clock: no job is
    left parked behind a head that is gone, none runs twice."""
    keyring = Keyring([Fernet.generate_key().decode()], "test keys")
    runtime = Runtime(pg_db, registry=registry(rate=1000), keyring=keyring)
    fake = FakePlatform(runtime.clock)
    runtime.transport_for = fake.transport
    await runtime.register_plugins()
    shops = [(await runtime.stores.add(f"shop{s}", SLUG, {"api_key": f"k{s}"})).id for s in range(3)]
    workers = [Worker(runtime, concurrency=3, idle_nap=0.05) for _ in range(2)]
    serving = [asyncio.create_task(w.run()) for w in workers]
    try:
        for batch in range(20):  # while the workers run
            await asyncio.gather(
                *(runtime.enqueue(shop, "get_product", {"product_id": f"p{batch}-{s}"}) for s, shop in enumerate(shops))
            )
        for _ in range(600):  # 60 s at most
            if (await runtime.queue.counts()).get(JobStatus.SUCCEEDED.value, 0) == 60:
                break
            await asyncio.sleep(0.1)
    finally:
        for w in workers:
            w.stop()
        await asyncio.gather(*serving)
        await runtime.aclose()
    assert sorted(path for *_, path in fake.log) == sorted(f"/products/p{b}-{s}" for b in range(20) for s in range(3))


async def test_times_from_a_skewed_worker_land_on_the_database_clock(pg_db: Database) -> None:
    ahead = ProcrastinateJobQueue(pg_db)  # a machine whose clock is an hour fast
    honest = ProcrastinateJobQueue(pg_db)
    fast = time.time() + 3600
    await _store(pg_db)
    # A job the fast machine enqueues for "now" is due now for everyone, not in an hour.
    job = await ahead.enqueue(NewJob(store_id=STORE, capability="get_product"), now=fast)
    assert abs(job.run_at - time.time()) < 5
    assert -3600 - 5 < ahead.clock_offset < -3600 + 5
    # A lease taken by an honest worker does not look expired to the fast one (no second run).
    claimed = await honest.claim("honest", now=time.time(), lease_seconds=60)
    assert claimed is not None and claimed.id == job.id
    assert await ahead.claim("fast", now=time.time() + 3600, lease_seconds=60) is None
    # The fast machine's idle worker naps until the lease ends on its own clock.
    due = await ahead.next_run_at()
    assert due is not None and abs(due - (fast + 60)) < 5


async def test_upgrade_gives_queued_jobs_from_before_procrastinate_runs(pg_db_at_0001: Database) -> None:
    db = pg_db_at_0001
    await _store(db)
    now = time.time()
    # What a database written by the embedded backend holds: two due jobs and a delayed one.
    new = [NewJob(STORE, "get_product"), NewJob(STORE, "get_product"), NewJob(STORE, "get_product", run_at=now + 600)]
    rows = [_values(job, now) for job in new]
    async with db.write() as conn:
        await conn.execute(jobs.insert(), rows)
    await upgrade(db)
    first, second, delayed = (row["id"] for row in rows)
    assert await _runs(db, first) == [("todo", TASK, 0)]  # heads its store's line
    assert await _runs(db, second) == []  # waits behind it
    assert await _runs(db, delayed) == [("todo", TASK, 0)]  # out of the line
    queue = ProcrastinateJobQueue(db)
    claimed = await queue.claim("w", now=time.time(), lease_seconds=60)
    assert claimed is not None and claimed.id == first
    assert await queue.settle(first, "w", Decision(JobStatus.SUCCEEDED), now=time.time())
    assert await _runs(db, second) == [("todo", TASK, 0)]  # promoted


def _statements(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement sent from now on, through the engine or on a plain connection (`Database.lane`)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)  # gone with the test's engine
    assert db.lane is not None
    plain = db.lane.fetchall

    async def sent(query: str, params: Any) -> list[tuple[Any, ...]]:
        statements.append(query)
        return await plain(query, params)

    monkeypatch.setattr(db.lane, "fetchall", sent)
    return statements


async def test_a_worker_turn_is_one_statement(pg_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settles that end or re-queue a run, and the claims of the turn, in one server-side call."""
    queue = ProcrastinateJobQueue(pg_db)
    await _store(pg_db)
    await _store(pg_db, OTHER)
    now = time.time()
    a1, a2, b1, b2 = [
        await queue.enqueue(NewJob(store, "get_product", params={"n": n}), now=now)
        for store in (STORE, OTHER)
        for n in (1, 2)
    ]
    statements = _statements(pg_db, monkeypatch)
    _, first = await queue.exchange("w", [], now=now, lease_seconds=60, claim=4)
    assert sorted(j.id for j in first) == sorted([a1.id, b1.id])  # one job per store line at a time
    # The dead-worker scan ran in that first claim (the Python way); the next turn is one statement.
    statements.clear()
    by_id = {j.id: j for j in first}
    ok = Decision(JobStatus.SUCCEEDED, result={"ok": True}, level="native")
    refused = Decision(JobStatus.QUEUED, run_at=now + 0.5, throttled=True)
    kept, second = await queue.exchange(
        "w", [(by_id[a1.id], ok), (by_id[b1.id], refused)], now=now, lease_seconds=60, claim=2
    )
    assert kept == [True, True] and len(statements) == 1 and "fusionhub_exchange_v2" in statements[0]
    assert [j.id for j in second] == [a2.id]  # a1's line goes on; b1 keeps its place, b2 waits behind it
    done, again = await queue.get(a1.id), await queue.get(b1.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.result == {"ok": True}
    assert done.level == "native" and done.finished_at is not None and done.lease_until is None
    assert again is not None and again.status is JobStatus.QUEUED and again.throttled == 1
    assert abs(again.run_at - (now + 0.5)) < 5
    runs = {job.id: [status for status, *_ in await _runs(pg_db, job.id)] for job in (a1, a2, b1, b2)}
    assert runs == {a1.id: ["succeeded"], a2.id: ["doing"], b1.id: ["todo"], b2.id: []}
    # A settle by a worker that no longer holds the job changes nothing.
    statements.clear()
    kept, _ = await queue.exchange("intruder", [(second[0], ok)], now=now, lease_seconds=60, claim=0)
    assert kept == [False] and len(statements) == 1
    still = await queue.get(a2.id)
    assert still is not None and still.status is JobStatus.RUNNING and still.worker_id == "w"


async def test_a_turn_settles_per_item_jobs_in_the_same_statement(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished child counts on its parent, and the last one wakes it (its run heads the line),
    inside the server-side call; the line's next child is claimed in the same call."""
    queue = ProcrastinateJobQueue(pg_db)
    await _store(pg_db)
    now = time.time()
    parent = await queue.enqueue(NewJob(STORE, "bulk"), now=now)
    (claimed,) = await queue.claim_many("w", now=now, lease_seconds=60, limit=1)
    children = [NewJob(STORE, "item", parent_id=parent.id, item_index=n) for n in range(3)]
    fan_out = Decision(JobStatus.WAITING, progress=(0, 3), children=children)
    kept, (first,) = await queue.exchange("w", [(claimed, fan_out)], now=now, lease_seconds=60, claim=4)
    assert kept == [True] and first.parent_id == parent.id and first.item_index == 0  # one per line, in order
    statements = _statements(pg_db, monkeypatch)
    kept, (second,) = await queue.exchange(
        "w", [(first, Decision(JobStatus.SUCCEEDED, result={"n": 0}))], now=now, lease_seconds=60, claim=4
    )
    assert kept == [True] and len(statements) == 1 and second.item_index == 1
    waiting = await queue.get(parent.id)
    assert waiting is not None and waiting.status is JobStatus.WAITING and waiting.progress_done == 1
    # Refused by its bucket: not finished, so not counted; it keeps its place at the head of the line.
    refused = Decision(JobStatus.QUEUED, run_at=now, throttled=True)
    kept, _ = await queue.exchange("w", [(second, refused)], now=now, lease_seconds=60, claim=0)
    assert kept == [True] and [s for s, *_ in await _runs(pg_db, second.id)] == ["todo"]
    await asyncio.sleep(0.01)  # its new time is the caller's now on the database clock, to the millisecond
    (second,) = await queue.claim_many("w", now=time.time(), lease_seconds=60, limit=4)
    assert second.item_index == 1 and second.throttled == 1
    failed = Decision(JobStatus.FAILED, error_category="permanent", error_message="no")
    kept, (third,) = await queue.exchange("w", [(second, failed)], now=now, lease_seconds=60, claim=4)
    assert kept == [True] and third.item_index == 2
    waiting = await queue.get(parent.id)
    assert waiting is not None and waiting.status is JobStatus.WAITING and waiting.progress_done == 2
    statements.clear()
    kept, _ = await queue.exchange("w", [(third, Decision(JobStatus.SUCCEEDED))], now=now, lease_seconds=60, claim=0)
    assert kept == [True] and len(statements) == 1
    woken = await queue.get(parent.id)
    assert woken is not None and woken.status is JobStatus.QUEUED and woken.progress_done == 3
    assert [status for status, *_ in await _runs(pg_db, parent.id)] == ["succeeded", "todo"]  # heads its line
    items = await queue.list(parent_id=parent.id, limit=None)
    assert [j.status for j in items] == [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SUCCEEDED]
    assert items[1].error_message == "no" and items[0].result == {"n": 0}


@pytest.fixture
async def pg_db_at_0001() -> AsyncIterator[Database]:
    db, schema = await _pg_schema()
    try:
        await upgrade(db, "0001")
        yield db
    finally:
        await db.aclose()
        await _drop(schema)


STORE = "00000000-0000-0000-0000-0000000000aa"
OTHER = "00000000-0000-0000-0000-0000000000bb"


async def _store(db: Database, store_id: str = STORE) -> None:
    from fusionhub.storage.schema import stores

    async with db.write() as conn:
        await conn.execute(
            stores.insert().values(
                id=store_id, name=f"skew-{store_id[-2:]}", credentials_encrypted="x", created_at=0.0, updated_at=0.0
            )
        )
