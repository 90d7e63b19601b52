"""Amazon: 10,000 SKUs' price and quantity through the feed and through per-item patches, on virtual time.

Each run against a fresh sandbox:
  feed    — one bulk_update job through the runtime's queue and a worker (SQLite): a
            JSON_LISTINGS_FEED (createFeedDocument, upload, createFeed) that the runner polls on the
            handle's schedule; floor: the sandbox's modelled queue + processing time (900 s);
  patches — one update_product per SKU through Hub.execute, 8 callers at once (one
            patchListingsItem with both patches, then a getListingsItem), the limiter pacing them;
            floor: N less patchListingsItem's burst, over its rate (5/s).
Each reports the virtual completion time (first request to last) against its floor and the
sandbox's 429s. The issue's check: each within 5 % of its floor, no 429.

    python -m bench.amazon_feed [--items 10000] [--quick]     (or: python -m bench amazon_feed)
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

import structlog
from cryptography.fernet import Fernet

from bench import Row
from fusionhub.clock import VirtualClock
from fusionhub.jobs import JobStatus, Worker
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url
from fusionhub.testing.harness import sandbox_run
from fusionhub_amazon.ratelimit import RATES
from fusionhub_amazon.sandbox import AmazonSandbox

TOLERANCE = 0.05


class SteppingClock(VirtualClock):
    """Virtual time on any loop: sleeping moves the clock (the database's threads cost no time)."""

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def changes(n: int) -> dict[str, Any]:
    return {"price": {"amount": f"{10 + n % 90}.99", "currency": "USD"}, "variants": [{"inventory_quantity": n % 50}]}


def figures(path: str, sandbox: AmazonSandbox, count: int, ok: bool, floor: float, wall: float) -> dict[str, Any]:
    times = sandbox.received_at
    span = max(times) - min(times)
    applied = sum(
        1 for n, sku in enumerate(sorted(sandbox.world.listings)) if sandbox.world.listings[sku].quantity() == n % 50
    )
    return {
        "path": path,
        "items": count,
        "succeeded": ok and applied == count,
        "virtual_seconds": round(span, 1),
        "floor_seconds": round(floor, 1),
        "ratio_to_floor": round(span / floor, 4) if floor else None,
        "http_429": sandbox.throttled,
        "requests": len(sandbox.requests),
        "wall_seconds": round(wall, 1),
    }


def through_patches(count: int, callers: int = 8) -> dict[str, Any]:
    clock = VirtualClock()
    amazon = sandbox_run("amazon-sc", clock=clock, options={"listings": count, "orders": 0, "fba": 0})
    sandbox: AmazonSandbox = amazon.sandbox  # type: ignore[assignment]
    work = list(enumerate(sorted(sandbox.world.listings)))

    async def caller() -> int:
        ok = 0
        while work:
            n, sku = work.pop(0)
            outcome = await amazon.execute("update_product", {"product_id": sku, "changes": changes(n)})
            ok += outcome.value.id == sku
        return ok

    async def main() -> int:
        try:
            return sum(await asyncio.gather(*(caller() for _ in range(callers))))
        finally:
            await amazon.aclose()

    wall = time.perf_counter()
    ok = clock.run(main())
    patch = RATES["patchListingsItem"]
    floor = max(0.0, count - patch.burst) / patch.rate
    return figures("patches", sandbox, count, ok == count, floor, time.perf_counter() - wall)


async def through_feed(count: int) -> dict[str, Any]:
    clock = SteppingClock()
    sandbox = AmazonSandbox(clock, listings=count, orders=0, fba=0)
    skus = sorted(sandbox.world.listings)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(sqlite_url(Path(tmp) / "bench.db"))
        await db.ensure_schema()
        runtime = Runtime(
            db,
            registry=Registry.discover(allow={"amazon-sc"}),
            clock=clock,
            keyring=Keyring([Fernet.generate_key().decode()], "bench"),
            transport_for=lambda _: sandbox.transport(),
        )
        wall = time.perf_counter()
        try:
            await runtime.register_plugins()
            store = await runtime.stores.add("amazon-bench", "amazon-sc", sandbox.credentials(), sandbox.store_config())
            items = [{"product_id": sku, "changes": changes(n)} for n, sku in enumerate(skus)]
            jobs = [await runtime.enqueue(store.id, "bulk_update", {"items": items})]
            worker = Worker(runtime, concurrency=1, heartbeat=False, lease_seconds=600)
            while True:
                job = await runtime.queue.claim(worker.id, now=clock.now(), lease_seconds=600)
                if job is None:
                    due = await runtime.queue.next_run_at()
                    if due is None:
                        break
                    await clock.sleep(max(0.0, due - clock.now()))
                    continue
                await worker.process(job)
            done = [await runtime.queue.get(j.id) for j in jobs]
            ok = all(j is not None and j.status is JobStatus.SUCCEEDED for j in done)
            failed = sum(int((j.result or {}).get("failed", 0)) for j in done if j is not None)
        finally:
            await runtime.aclose()
        wall = time.perf_counter() - wall
    floor = sandbox.queue_seconds + sandbox.processing_seconds
    return figures("feed", sandbox, count, ok and failed == 0, floor, wall)


def check(rows: list[dict[str, Any]]) -> list[str]:
    problems = []
    for row in rows:
        if not row["succeeded"]:
            problems.append(f"{row['path']}: not every SKU was updated")
        if row["ratio_to_floor"] is not None and abs(row["ratio_to_floor"] - 1) > TOLERANCE:
            problems.append(f"{row['path']}: {row['virtual_seconds']} s is not within 5 % of {row['floor_seconds']} s")
        if row["http_429"]:
            problems.append(f"{row['path']}: {row['http_429']} responses were 429")
    return problems


def rows(quick: bool) -> list[Row]:
    """`python -m bench`'s rows: each path's virtual completion time against its floor."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    count = 1_000 if quick else 10_000
    out = []
    for run in (asyncio.run(through_feed(count)), through_patches(count)):
        note = f"{run['http_429']} × 429, {run['requests']:,} requests, wall {run['wall_seconds']} s"
        out.append(
            Row(
                f"Amazon {count:,} SKUs via {run['path']} (virtual s)",
                run["floor_seconds"],
                run["virtual_seconds"],
                "s",
                note,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))  # figures, not logs
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 SKUs")
    args = parser.parse_args(argv)
    count = 1_000 if args.quick else args.items
    rows = [asyncio.run(through_feed(count)), through_patches(count)]
    for row in rows:
        print(json.dumps(row))
    problems = check(rows)
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
