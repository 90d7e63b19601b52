"""`fusionhub demo`: the main job end to end against every installed plugin's sandbox.

On a fresh SQLite database in a temporary directory: register the plugins, connect one
sandbox store per platform, then through the queue and a worker run a product sync (every
page of list_products), a bulk update and an inventory sync; print per-platform results,
the level each capability ran at (workarounds named), and rate-limit figures.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from cryptography.fernet import Fernet

from fusionhub.capabilities import Capability
from fusionhub.cli.runtime_cli import echo_json, json_option, quiet_logs
from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.contracts import Level
from fusionhub.jobs import Job, JobStatus, Worker
from fusionhub.registry import Registry
from fusionhub.sandbox import Sandbox

MAX_PAGES = 10
STEP_TIMEOUT = 180.0


@dataclass
class Step:
    name: str
    capability: str
    level: str
    status: str
    summary: str
    seconds: float
    workaround: str | None = None
    jobs: int = 0
    throttled: int = 0


@dataclass
class PlatformRun:
    slug: str
    name: str
    steps: list[Step] = field(default_factory=list)
    requests: int = 0
    throttled_by_platform: int = 0
    limiter: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _summary(capability: Capability, job: Job, extra: str = "") -> str:
    if job.status is not JobStatus.SUCCEEDED:
        return f"{job.error_category}: {job.error_message}"
    result = job.result or {}
    if capability is Capability.BULK_UPDATE:
        text = f"{result.get('succeeded')}/{result.get('total')} items updated"
        return text + (f", {result['failed']} failed" if result.get("failed") else "")
    if capability is Capability.SYNC_INVENTORY:
        return f"{len(result.get('updated', []))} levels set, {result.get('unchanged', 0)} unchanged"
    return extra or "ok"


async def _run_job(runtime: Any, worker: Worker, store_id: str, capability: Capability, params: dict[str, Any]) -> Job:
    job = await runtime.enqueue(store_id, capability, params)
    try:
        await asyncio.wait_for(worker.run_until_idle(), STEP_TIMEOUT)
    except TimeoutError:
        left = await runtime.queue.get(job.id)
        state = f"still {left.status.value}, re-scheduled {left.throttled} time(s) for rate limits" if left else "gone"
        raise TimeoutError(
            f"the worker did not finish the {capability.value} job {job.id} within {STEP_TIMEOUT:.0f} s ({state})"
        ) from None
    done = await runtime.queue.get(job.id)
    assert done is not None
    return done  # type: ignore[no-any-return]


async def _throttled(runtime: Any, job: Job) -> tuple[int, int]:
    children = await runtime.queue.list(parent_id=job.id, limit=None)
    return 1 + len(children), job.throttled + sum(c.throttled for c in children)


async def _step(
    runtime: Any, worker: Worker, run: PlatformRun, store_id: str, name: str, cap: Capability, params: Any
) -> Job | None:
    contract = runtime.hub.manifest(run.slug).contract(cap)
    workaround = contract.workaround.description if contract.workaround else None
    if contract.level is Level.UNSUPPORTED or params is None:
        why = contract.explanation if contract.level is Level.UNSUPPORTED else "the sandbox offers no sample params"
        run.steps.append(Step(name, cap.value, contract.level.value, "skipped", why or "", 0.0, workaround))
        return None
    started = time.perf_counter()
    job = await _run_job(runtime, worker, store_id, cap, params)
    jobs, throttled = await _throttled(runtime, job)
    step = Step(
        name, cap.value, job.level or contract.level.value, job.status.value, "", 0.0, workaround, jobs, throttled
    )
    step.summary, step.seconds = _summary(cap, job), time.perf_counter() - started
    run.steps.append(step)
    return job


async def _product_sync(runtime: Any, worker: Worker, run: PlatformRun, store_id: str) -> None:
    contract = runtime.hub.manifest(run.slug).contract(Capability.LIST_PRODUCTS)
    if contract.level is Level.UNSUPPORTED:
        run.steps.append(Step("product sync", "list_products", "unsupported", "skipped", contract.explanation or "", 0))
        return
    started, pages, products, jobs, throttled = time.perf_counter(), 0, 0, 0, 0
    cursor: str | None = None
    job: Job | None = None
    while pages < MAX_PAGES:
        params: dict[str, Any] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        job = await _run_job(runtime, worker, store_id, Capability.LIST_PRODUCTS, params)
        jobs, throttled = jobs + 1, throttled + job.throttled
        if job.status is not JobStatus.SUCCEEDED:
            break
        pages, products = pages + 1, products + len(job.result["items"])
        cursor = job.result.get("next_cursor")
        if not cursor:
            break
    assert job is not None
    status = job.status.value
    summary = _summary(Capability.LIST_PRODUCTS, job, f"{products} products in {pages} page(s)")
    seconds = time.perf_counter() - started
    run.steps.append(
        Step("product sync", "list_products", contract.level.value, status, summary, seconds, None, jobs, throttled)
    )


async def _platform(runtime: Any, slug: str, sandbox: Sandbox) -> PlatformRun:
    manifest = runtime.hub.manifest(slug)
    run = PlatformRun(slug, manifest.name)
    store = await runtime.stores.add(f"{slug}-sandbox", slug, sandbox.credentials(), sandbox.store_config())
    worker = Worker(runtime, concurrency=4, idle_nap=0.05)
    await _product_sync(runtime, worker, run, store.id)
    bulk = sandbox.sample_params(Capability.BULK_UPDATE)
    await _step(runtime, worker, run, store.id, "bulk update", Capability.BULK_UPDATE, bulk)
    stock = sandbox.sample_params(Capability.SYNC_INVENTORY)
    await _step(runtime, worker, run, store.id, "inventory sync", Capability.SYNC_INVENTORY, stock)
    ctx = await runtime.context(store.id)
    stats = ctx.limiter.stats
    run.limiter = {"acquired": stats.acquired, "refused": stats.refused, "waits": stats.waits}
    run.requests, run.throttled_by_platform = len(sandbox.requests), sandbox.throttled
    return run


async def _demo(registry: Registry, directory: Path) -> list[PlatformRun]:
    from fusionhub.runtime import Runtime
    from fusionhub.secrets import Keyring
    from fusionhub.storage import sqlite_url

    sandboxes: dict[str, Sandbox] = {}
    for slug, record in sorted(registry.platforms.items()):
        hook = record.impls.get("fusionhub_sandbox")
        if hook is not None:
            sandboxes[slug] = hook(clock=SYSTEM_CLOCK, options={})
    keyring = Keyring([Fernet.generate_key().decode()], "the demo's throw-away key")
    runtime = await Runtime.open(
        sqlite_url(directory / "demo.db"),
        registry=registry,
        keyring=keyring,
        transport_for=lambda store: sandboxes[store.platform].transport(),
    )
    runs = []
    try:
        for slug, sandbox in sandboxes.items():
            try:
                runs.append(await _platform(runtime, slug, sandbox))
            except Exception as exc:  # one platform's failure is reported, the others still run
                from fusionhub.observability.redaction import scrub

                runs.append(PlatformRun(slug, slug, error=f"{type(exc).__name__}: {scrub(str(exc))}"))
    finally:
        await runtime.aclose()
    return runs


def _print(runs: list[PlatformRun], registry: Registry) -> None:
    from fusionhub.cli.tables import console, render_matrix

    out = console()
    render_matrix(registry.records, title="What the installed plugins offer")
    out.print()
    for run in runs:
        out.print(f"[bold]{run.name}[/] ({run.slug}) sandbox")
        for s in run.steps:
            figures = f"{s.jobs} job(s), {s.throttled} re-scheduled for rate limits, {s.seconds:.2f} s"
            out.print(f"  {s.name:<15} {s.capability:<15} {s.level:<11} {s.status:<9} {s.summary}  ({figures})")
            if s.level == Level.WORKAROUND.value and s.workaround:
                out.print(f"  {'':<15} workaround: {s.workaround}")
        if run.error:
            out.print(f"  [red]the demo failed here: {run.error}[/]")
        lim = run.limiter
        out.print(
            f"  rate limit: {run.requests} requests sent, {lim.get('acquired', 0)} tokens acquired, "
            f"{lim.get('refused', 0)} refused (the job was re-scheduled, no worker slept), "
            f"{run.throttled_by_platform} throttled by the platform (429)\n"
        )
    if not runs:
        out.print("No installed plugin offers a sandbox: install a platform plugin that has one")
    shown = {run.slug for run in runs}
    skipped = sorted({r.name for r in registry.records if r.manifest is None or r.slug not in shown})
    if skipped:
        out.print(f"not in the demo (no sandbox, not a platform, or not loaded): {', '.join(skipped)}")


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """Run a product sync, a bulk update and an inventory sync on every installed plugin's sandbox."""
    quiet_logs("ERROR")  # rate-limit refusals are the demo's point, not warnings
    registry = Registry.discover(strict=False)
    with tempfile.TemporaryDirectory(prefix="fusionhub-demo-") as tmp:
        runs = asyncio.run(_demo(registry, Path(tmp)))
    if as_json:
        echo_json([run.__dict__ | {"steps": [s.__dict__ for s in run.steps]} for run in runs])
    else:
        _print(runs, registry)
