"""Our job queue beside its peers, no-op jobs, in one run on one machine.

- huey's `SqliteHuey` (a file in a temporary directory), a consumer of 4 worker threads in this
  process; against our SQLite backend, 1 worker process of 4 slots.
- raw procrastinate on PostgreSQL (a throw-away schema), `run_worker_async(concurrency=4)` in this
  process; against our PostgreSQL backend, 1 and 4 worker processes of 4 slots each.

Every side drains the same number of no-op jobs enqueued before it starts (start-up and
enqueueing are not measured): jobs / (last job done - start). The rounds are interleaved (huey,
ours on SQLite, procrastinate, ours on PostgreSQL, …) and each figure is the best of its rounds,
so the machine's other load weighs on every side alike. Ours runs through `bench.queue_throughput`
(20 stores, the no-op capability: claim, store look-up, run, settle); our per-store order has no
counterpart in the peers, which run jobs in any order.

`python -m bench queue_peers` (huey: the nox bench session installs it).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bench import Row
from bench.queue_throughput import PG_URL, _drop, _measure, _pg_schema


def huey_jobs_per_second(jobs: int) -> float:
    """SqliteHuey, 4 consumer threads: jobs / (the last job's completion - the consumer's start)."""
    from huey import SqliteHuey
    from huey.signals import SIGNAL_COMPLETE

    with tempfile.TemporaryDirectory() as directory:
        huey = SqliteHuey(filename=str(Path(directory) / "huey.db"))

        @huey.task()
        def noop() -> None:
            return None

        for _ in range(jobs):
            noop()
        done = threading.Event()
        finished = [0]
        last = [0.0]
        lock = threading.Lock()

        @huey.signal(SIGNAL_COMPLETE)
        def completed(signal: str, task: object) -> None:
            with lock:
                finished[0] += 1
                last[0] = time.perf_counter()
                if finished[0] == jobs:
                    done.set()

        consumer = huey.create_consumer(workers=4, worker_type="thread", periodic=False)
        started = time.perf_counter()
        consumer.start()  # its threads; `run()` would also take this thread's signals
        try:
            if not done.wait(timeout=600):
                raise RuntimeError(f"huey ran {finished[0]} of {jobs} jobs in 600 s")
        finally:
            consumer.stop(graceful=True)
        return jobs / (last[0] - started)


async def _procrastinate(schema: str, jobs: int) -> float:
    import procrastinate

    connector = procrastinate.PsycopgConnector(conninfo=PG_URL, kwargs={"options": f"-csearch_path={schema}"})
    app = procrastinate.App(connector=connector)

    @app.task(name="noop", queue="bench")
    async def noop() -> None:
        return None

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        await noop.batch_defer_async(*({} for _ in range(jobs)))
        started = time.perf_counter()
        # wait=False: the worker stops once nothing is left to fetch.
        await app.run_worker_async(concurrency=4, wait=False, install_signal_handlers=False, listen_notify=False)
        elapsed = time.perf_counter() - started
        left = await app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE status <> 'succeeded'"
        )
    if left["n"]:
        raise RuntimeError(f"procrastinate left {left['n']} of {jobs} jobs unfinished")
    return jobs / elapsed


def procrastinate_jobs_per_second(jobs: int) -> float | None:
    """Raw procrastinate, one worker of concurrency 4, in a throw-away schema; None without a server."""
    schema = asyncio.run(_pg_schema())
    if schema is None:
        return None
    try:
        return asyncio.run(_procrastinate(schema, jobs))
    finally:
        asyncio.run(_drop(schema))


def measure(jobs: int, rounds: int) -> dict[str, float | None]:
    """Best jobs/s of each side over interleaved rounds."""
    sides = {
        "huey": lambda: huey_jobs_per_second(jobs),
        "ours_sqlite_1": lambda: _measure("sqlite", "noop", jobs, 1),
        "procrastinate": lambda: procrastinate_jobs_per_second(jobs),
        "ours_pg_1": lambda: _measure("postgresql", "noop", jobs, 1),
        "ours_pg_4": lambda: _measure("postgresql", "noop", jobs, 4),
    }
    best: dict[str, float | None] = dict.fromkeys(sides)
    for _ in range(rounds):
        for name, run in sides.items():
            figure = run()
            if figure is not None:
                best[name] = max(figure, best[name] or 0.0)
    return best


def rows(quick: bool) -> list[Row]:
    os.environ.setdefault("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    jobs, rounds = (200, 1) if quick else (1000, 3)
    best = measure(jobs, rounds)
    note = f"{jobs} no-op jobs, best of {rounds} interleaved rounds"
    nan = float("nan")
    huey, ours_sqlite = best["huey"], best["ours_sqlite_1"]
    assert huey is not None and ours_sqlite is not None
    scenario = "queue vs huey: SqliteHuey 4 threads / ours SQLite, 1 process (jobs/s)"
    out = [Row(scenario, huey, ours_sqlite, "jobs/s", note)]
    peer, pg1, pg4 = best["procrastinate"], best["ours_pg_1"], best["ours_pg_4"]
    if peer is None or pg1 is None or pg4 is None:
        return [*out, Row("queue vs procrastinate (jobs/s)", nan, nan, "jobs/s", "PostgreSQL unreachable")]
    return [
        *out,
        Row("queue vs procrastinate: concurrency 4 / ours PostgreSQL, 1 process (jobs/s)", peer, pg1, "jobs/s", note),
        Row("queue vs procrastinate: concurrency 4 / ours PostgreSQL, 4 processes (jobs/s)", peer, pg4, "jobs/s", note),
        Row("queue: ours PostgreSQL, 1 process / 4 processes (jobs/s)", pg1, pg4, "jobs/s", note),
    ]
