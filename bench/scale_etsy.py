"""Scale on the real clock: 50 Etsy stores, each a 200-item bulk_update at its own 10 req/s,
drained by 4 `fusionhub worker` processes, on SQLite and on PostgreSQL.

The Etsy sandbox runs as one HTTP server process (`python -m bench.scale_etsy serve`): one shop
of 10,000 listings connected through 50 apps, each app an API key with its own 10 QPS bucket
(Etsy's limit is per app), so each store has its own 10 req/s. Every store updates its own 200
listings (one `updateListing` PATCH each, fanned out into per-item jobs). The workers
(`fusionhub worker --concurrency 16`, FUSIONHUB_SANDBOX pointing at the server) start first; the
clock starts when they are all ready, just before the 50 bulks are enqueued, and stops when the
last bulk has finished. Floor: 200 requests at 10 req/s = 20 s (the bucket's first 10 tokens make
the true minimum 19 s). The sandbox counts its 429s.

`python -m bench scale_etsy` (`--quick`: 10 stores × 50 items).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.fernet import Fernet

from bench import Row
from bench.queue_throughput import PG_URL, _drop, _pg_schema

QPS = 10
WORKERS = 4
SLOTS = 16


def _serve(stores: int, items: int) -> None:
    """The sandbox server: prints its URL and the stores' credentials, then answers `stats` on stdin."""
    from fusionhub.clock import SYSTEM_CLOCK
    from fusionhub.sandbox.server import SandboxServer
    from fusionhub_etsy.sandbox import EtsySandbox

    sandbox = EtsySandbox(SYSTEM_CLOCK, listings=stores * items, receipts=0, qps=QPS, qpd=1_000_000)
    apps = [sandbox.add_app() for _ in range(stores)]
    listings = sorted(sandbox.world.listings)

    async def main() -> None:
        server = SandboxServer(sandbox)
        url = await server.start()
        print(json.dumps({"url": url, "apps": apps, "config": sandbox.store_config(), "listings": listings}))
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        while (line := await loop.run_in_executor(None, sys.stdin.readline)).strip() != "quit":
            if line.strip() == "stats":
                times = sandbox.received_at
                span = max(times) - min(times) if times else 0.0
                print(json.dumps({"throttled": sandbox.throttled, "requests": len(times), "span": span}))
                sys.stdout.flush()
        await server.aclose()

    asyncio.run(main())


def _ready(process: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    """Reads a worker's stderr (so it never blocks on a full pipe); `ready` at its start-up line."""
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        if " slot(s) on " in line:
            ready.set()


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # noqa: S603


async def _drain(url: str, sandbox: dict[str, Any], stores: int, items: int) -> float:
    """Workers up, 50 bulks enqueued, wall seconds until every bulk finished."""
    from fusionhub.jobs import JobStatus
    from fusionhub.registry import Registry
    from fusionhub.runtime import Runtime
    from fusionhub.sandbox.server import forwarding
    from fusionhub.secrets import Keyring

    runtime = await Runtime.open(
        url,
        registry=Registry.discover(allow={"etsy"}),
        keyring=Keyring.load(),
        transport_for=lambda store: forwarding(sandbox["url"]),
    )
    ids = []
    for n in range(stores):
        ids.append((await runtime.stores.add(f"etsy-{n:02d}", "etsy", sandbox["apps"][n], sandbox["config"])).id)
    env = {**os.environ, "FUSIONHUB_SANDBOX": sandbox["url"], "FUSIONHUB_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "fusionhub.cli", "worker", "--database", url]
    command += ["--concurrency", str(SLOTS), "--no-events"]
    workers = [_start(command, env) for _ in range(WORKERS)]
    logs: list[list[str]] = [[] for _ in workers]
    readies = [threading.Event() for _ in workers]
    for worker, lines, ready in zip(workers, logs, readies, strict=True):
        threading.Thread(target=_ready, args=(worker, lines, ready), daemon=True).start()
    try:
        for ready, lines in zip(readies, logs, strict=True):
            if not await asyncio.to_thread(ready.wait, 120):
                raise RuntimeError(f"a worker did not start: {''.join(lines)[-2000:]}")
        started = time.perf_counter()
        parents = []
        for n, store in enumerate(ids):
            chunk = sandbox["listings"][n * items : (n + 1) * items]
            changes = [{"product_id": str(i), "changes": {"title": f"Scale {n}-{k}"}} for k, i in enumerate(chunk)]
            parents.append((await runtime.enqueue(store, "bulk_update", {"items": changes})).id)
        # One bulk looked at every 0.1 s, until each has finished: the bench's own reads must not
        # take the CPU the workers are measured on (all 50 every 0.1 s were 500 reads a second).
        for job_id in parents:
            while (job := await runtime.queue.get(job_id)) is None or not job.finished:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # other processes run the jobs: nothing here to wait on but the queue
            if job.status is not JobStatus.SUCCEEDED or (job.result or {}).get("succeeded") != items:
                raise RuntimeError(f"bulk {job_id} ended {job.status.value}: {job.result or job.error_message}")
        wall = time.perf_counter() - started
        children = await runtime.queue.list(limit=None)
        print(
            f"{url.split(':')[0]}: {len(children)} jobs, claims {sum(j.claims for j in children)}, "
            f"throttled {sum(j.throttled for j in children)}, wall {wall:.1f} s",
            file=sys.stderr,
        )
        return wall
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        await runtime.aclose()


def measure(backend: str, stores: int, items: int) -> dict[str, float] | None:
    """Wall seconds, the sandbox's first-to-last request span and its 429s; None without PostgreSQL."""
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.scale_etsy", "serve", str(stores), str(items)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        sandbox = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory() as directory:
            if backend == "sqlite":
                wall = asyncio.run(_drain(f"sqlite:///{Path(directory) / 'scale.db'}", sandbox, stores, items))
            else:
                schema = asyncio.run(_pg_schema())
                if schema is None:
                    return None
                sep = "&" if "?" in PG_URL else "?"
                try:
                    url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
                    wall = asyncio.run(_drain(url, sandbox, stores, items))
                finally:
                    asyncio.run(_drop(schema))
        server.stdin.write("stats\n")
        server.stdin.flush()
        stats = json.loads(server.stdout.readline())
        server.stdin.write("quit\n")
        server.stdin.flush()
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    return {"wall": wall, "span": stats["span"], "throttled": stats["throttled"], "requests": stats["requests"]}


def rows(quick: bool) -> list[Row]:
    os.environ.setdefault("FUSIONHUB_SECRET_KEYS", Fernet.generate_key().decode())
    stores, items = (10, 50) if quick else (50, 200)
    floor = items / QPS
    out = []
    for backend in ("sqlite", "postgresql"):
        figures = measure(backend, stores, items)
        if figures is None:
            out.append(Row(f"scale: Etsy on {backend} (s)", floor, float("nan"), "s", "PostgreSQL unreachable"))
            continue
        note = (
            f"{stores} stores × {items} items at {QPS} req/s each, {WORKERS} workers × {SLOTS} slots; "
            f"{figures['throttled']} × 429, {figures['requests']} requests, sandbox span {figures['span']:.1f} s"
        )
        out.append(Row(f"scale: {stores} Etsy bulks on {backend}, wall (s)", floor, figures["wall"], "s", note))
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m bench.scale_etsy serve STORES ITEMS  (or: python -m bench scale_etsy)")
