"""Etsy bulk_update of 1,000 listings at 10 req/s on virtual time, against the Etsy sandbox.

Three runs, each on its own fresh sandbox:
  queue  — the runtime's job queue: bulk_update fans out one child job per listing, a worker runs
           them with the limiter in no-wait mode (a full bucket re-schedules the job), the parent's
           progress is sampled as the children finish;
  direct — Hub.execute's direct fan-out: the items run one by one in process, the limiter waits;
  naive  — a plain loop with no client-side limiter that, on a 429, waits 1 s and sends again.
Each reports virtual completion time (first request to last), that ÷ 100 s, and the sandbox's 429s.

    python -m bench.etsy_bulk [--items 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import structlog
from cryptography.fernet import Fernet

from bench import Row
from fusionhub.clock import VirtualClock
from fusionhub.hookspecs import hookimpl
from fusionhub.jobs import JobStatus, Worker
from fusionhub.observability.records import CapabilityCall
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub.testing.harness import sandbox_run
from fusionhub_etsy.sandbox import EtsySandbox

IDEAL_PER_ITEM = 0.1  # 10 requests per second, one updateListing per item


class SteppingClock(VirtualClock):
    """Virtual time on any loop: sleeping moves the clock (the database's threads cost no time)."""

    async def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def items_for(sandbox: EtsySandbox, count: int) -> list[dict[str, Any]]:
    ids = sorted(sandbox.world.listings)[:count]
    return [{"product_id": str(i), "changes": {"title": f"Bulk title {n}"}} for n, i in enumerate(ids)]


def figures(name: str, sandbox: EtsySandbox, count: int, ok: int, wall: float, **extra: Any) -> dict[str, Any]:
    times = sandbox.received_at
    span = (max(times) - min(times)) if times else 0.0
    ideal = count * IDEAL_PER_ITEM
    return {
        "run": name,
        "items": count,
        "succeeded": ok,
        "virtual_seconds": round(span, 3),
        "ratio_to_ideal": round(span / ideal, 4),
        "http_429": sandbox.throttled,
        "requests": len(sandbox.requests),
        "wall_seconds": round(wall, 2),
        **extra,
    }


async def through_queue(count: int) -> dict[str, Any]:
    clock = SteppingClock()
    sandbox = EtsySandbox(clock, listings=count + 1, receipts=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(sqlite_url(Path(tmp) / "bench.db"))
        await db.ensure_schema()
        keyring = Keyring([Fernet.generate_key().decode()], "bench")
        registry = Registry.discover(allow={"etsy"})
        runtime = Runtime(
            db, registry=registry, clock=clock, keyring=keyring, transport_for=lambda _: sandbox.transport()
        )
        wall = time.perf_counter()
        try:
            await runtime.register_plugins()
            store = await runtime.stores.add("etsy-bench", "etsy", sandbox.credentials(), sandbox.store_config())
            parent = await runtime.enqueue(store.id, "bulk_update", {"items": items_for(sandbox, count)})
            worker = Worker(runtime, concurrency=1, heartbeat=False, lease_seconds=600)
            progress: list[tuple[float, int]] = []
            while True:
                job = await runtime.queue.claim(worker.id, now=clock.now(), lease_seconds=600)
                if job is None:
                    due = await runtime.queue.next_run_at()
                    if due is None:
                        break
                    await clock.sleep(max(0.0, due - clock.now()))
                    continue
                await worker.process(job)
                current = await runtime.queue.get(parent.id)
                if (
                    current is not None
                    and current.progress_total
                    and (not progress or progress[-1][1] != current.progress_done)
                ):
                    progress.append((clock.now(), current.progress_done))
            done = await runtime.queue.get(parent.id)
            assert done is not None and done.status is JobStatus.SUCCEEDED, done
            result = done.result or {}
        finally:
            await runtime.aclose()
        wall = time.perf_counter() - wall
    start = progress[0][0] if progress else 0.0
    samples = [(round(t - start, 1), n) for t, n in progress if n % max(1, count // 10) == 0]
    return figures("queue", sandbox, count, int(result.get("succeeded", 0)), wall, progress=samples)


class ProgressObserver:
    """An observer plugin: each finished item of the direct fan-out is a progress report."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.done: list[float] = []

    @hookimpl
    def fusionhub_on_capability_call(self, call: CapabilityCall) -> None:
        if call.capability == "update_product":
            self.done.append(self.clock.now())


def through_direct_fan_out(count: int) -> dict[str, Any]:
    clock = VirtualClock()
    registry = Registry.discover(allow={"etsy", "bench-progress"})
    run = sandbox_run("etsy", clock=clock, registry=registry, options={"listings": count + 1, "receipts": 0})
    sandbox: EtsySandbox = run.sandbox  # type: ignore[assignment]
    observer = ProgressObserver(clock)
    run.registry.add(observer, "bench-progress")
    items = items_for(sandbox, count)

    async def main() -> Any:
        try:
            return (await run.execute("bulk_update", {"items": items})).value
        finally:
            await run.aclose()

    wall = time.perf_counter()
    result = clock.run(main())
    wall = time.perf_counter() - wall
    start = observer.done[0] if observer.done else 0.0
    step = max(1, count // 10)
    samples = [(round(t - start, 1), n + 1) for n, t in enumerate(observer.done) if (n + 1) % step == 0]
    return figures("direct", sandbox, count, result.succeeded, wall, progress=samples)


def naive_loop(count: int) -> dict[str, Any]:
    clock = VirtualClock()
    sandbox = EtsySandbox(clock, listings=count + 1, receipts=0)
    creds = sandbox.credentials()
    headers = {
        "x-api-key": f"{creds['keystring']}:{creds['shared_secret']}",
        "authorization": f"Bearer {creds['access_token']}",
    }
    base = f"https://openapi.etsy.com/v3/application/shops/{sandbox.world.shop_id}/listings"

    async def main() -> int:
        ok = 0
        async with httpx.AsyncClient(transport=sandbox.transport(), headers=headers) as client:
            for item in items_for(sandbox, count):
                while True:
                    response = await client.patch(
                        f"{base}/{item['product_id']}", data={"title": item["changes"]["title"]}
                    )
                    if response.status_code != 429:
                        break
                    await clock.sleep(1.0)  # a fixed back-off, as a simple script would
                ok += response.status_code == 200
        return ok

    wall = time.perf_counter()
    ok = clock.run(main())
    return figures("naive", sandbox, count, ok, time.perf_counter() - wall)


def run(count: int = 1000) -> list[dict[str, Any]]:
    return [asyncio.run(through_queue(count)), through_direct_fan_out(count), naive_loop(count)]


def rows(quick: bool) -> list[Row]:
    """`python -m bench` rows: virtual completion time against N / rate, with the 429 count."""
    count = 100 if quick else 1000
    found = run(count)
    problems = check(found)
    out = []
    for row in found:
        progress = f", progress every {count // 10} items" if row.get("progress") else ""
        verdict = "" if row["run"] == "naive" else (" — FAIL" if problems else " — within 2 %, check passed")
        out.append(
            Row(
                scenario=f"etsy bulk_update {count:,} listings, {row['run']} (virtual s)",
                baseline=count * IDEAL_PER_ITEM,
                ours=row["virtual_seconds"],
                unit="s",
                note=f"{row['http_429']} × 429, {row['requests']:,} requests{progress}{verdict}",
            )
        )
    return out


def check(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's check for the queue and direct runs: within 2 % of ideal, no 429, progress as it goes."""
    problems = []
    for row in rows:
        if row["run"] == "naive":
            continue
        if abs(row["ratio_to_ideal"] - 1) > 0.02:
            problems.append(
                f"{row['run']}: {row['virtual_seconds']} s is not within 2 % of {row['items'] * IDEAL_PER_ITEM} s"
            )
        if row["http_429"]:
            problems.append(f"{row['run']}: {row['http_429']} responses were 429")
        if len(row.get("progress", [])) < 5 or row["succeeded"] != row["items"]:
            problems.append(f"{row['run']}: progress or results incomplete")
    return problems


def main(argv: list[str] | None = None) -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))  # figures, not logs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args(argv)
    rows = run(args.items)
    for row in rows:
        print(json.dumps(row))
    problems = check(rows)
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
