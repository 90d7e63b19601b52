"""A worker process for the multi-process tests: the fake platform's plugin, a shared database.

    python runtime_worker_main.py DB_URL LOG_FILE --rate 20 --concurrency 4 [--slow 5]

Keys come from FUSIONHUB_SECRET_KEYS. Exits when no job is queued, running or waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from runtime_fakes import FakePlatform, registry

from fusionhub.jobs import Worker
from fusionhub.jobs.worker import DEFAULT_LEASE_SECONDS
from fusionhub.observability.logs import configure_logging
from fusionhub.runtime import Runtime

OPEN = ("queued", "running", "waiting")


async def main(args: argparse.Namespace) -> None:
    configure_logging(level="ERROR")  # thousands of calls: log only what is wrong
    runtime = await Runtime.open(args.db, registry=registry(rate=args.rate))
    fake = FakePlatform(runtime.clock, log_path=args.log, slow_seconds=args.slow)
    runtime.transport_for = fake.transport
    worker = Worker(runtime, concurrency=args.concurrency, lease_seconds=args.lease, idle_nap=0.05)
    print(f"ready {worker.id}", flush=True)

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.2)
            counts = await runtime.queue.counts()
            if not any(counts.get(status) for status in OPEN):
                worker.stop()
                return

    watcher = asyncio.create_task(watch())
    stats = await worker.run()
    watcher.cancel()
    print(f"done runs={stats.runs} succeeded={stats.succeeded} throttled={stats.throttled}", flush=True)
    await runtime.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("log")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=DEFAULT_LEASE_SECONDS)
    parser.add_argument("--slow", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
