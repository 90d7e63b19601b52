"""`fusionhub worker`: run queued jobs (and poll events of webhook-less platforms) until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import signal

import click

from fusionhub.cli.exporters import exporters, metrics_port_option
from fusionhub.cli.runtime_cli import database_option, open_runtime, run_async
from fusionhub.jobs import Worker
from fusionhub.jobs.worker import DEFAULT_LEASE_SECONDS

# A lease shorter than this leaves a heartbeat no room for a slow database write: another worker
# would take a live job and run it twice. Longer than an hour, a dead worker's jobs wait too long.
MIN_LEASE, MAX_LEASE = 2.0, 3600.0
MAX_CONCURRENCY = 256
WORKER_OWN_CONNECTIONS = 4
# Young collections every this many net allocations instead of CPython's 700 (see `_settle_gc`).
GC_YOUNG_THRESHOLD = 10_000


def _settle_gc() -> None:
    """After start-up: what exists now (modules, plugins, the schema) lives as long as the process.

    Frozen, the cyclic collector stops scanning it at every collection, and young collections come
    less often: a worker running 50 stores' jobs spent 8 % of its CPU in the collector, 2-3 % after.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # FloatRange lets NaN through: no comparison refuses it
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value


async def poll_events(runtime: object, stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        with contextlib.suppress(Exception):  # one bad store must not stop the worker
            await runtime.events.poll_due()  # type: ignore[attr-defined]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


@click.command()
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(1, MAX_CONCURRENCY),
    help="Jobs run at once by this process.",
)
@click.option(
    "--lease",
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    type=click.FloatRange(MIN_LEASE, MAX_LEASE),
    callback=_finite,
    help="Seconds a dead worker's jobs wait for another worker (a live one renews it 4 times as often).",
)
@click.option("--events/--no-events", default=True, help="Poll events of platforms without webhooks.")
@metrics_port_option
@database_option
@run_async
async def worker(concurrency: int, lease: float, events: bool, metrics_port: int | None, database: str | None) -> None:
    """Run jobs until Ctrl-C / SIGTERM (jobs in hand are finished first). Start as many as you like."""
    # A connection for each slot's statement and for the worker's own (its turn, heartbeat, events).
    runtime = await open_runtime(database, connections=concurrency + WORKER_OWN_CONNECTIONS)
    runner = Worker(runtime, concurrency=concurrency, lease_seconds=lease)
    _settle_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def shutdown() -> None:
        stop.set()
        runner.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, shutdown)
    await runner.prepare()  # its stores connected before it says it serves
    queue = type(runtime.queue).__name__
    click.echo(f"worker {runner.id}: {concurrency} slot(s) on {runtime.db!r}, jobs through {queue}", err=True)
    poller = asyncio.create_task(poll_events(runtime, stop, 5.0)) if events else None
    try:
        with exporters(runtime.hub.registry, "worker", metrics_port) as started:
            if started:
                click.echo(f"worker {runner.id}: {started} exporter(s) started, metrics port {metrics_port}", err=True)
            stats = await runner.run()
    finally:
        stop.set()
        if poller is not None:
            await poller
        await runtime.aclose()
    click.echo(
        f"stopped: {stats.runs} runs, {stats.succeeded} succeeded, {stats.failed} failed, "
        f"{stats.throttled} re-scheduled for rate limits",
        err=True,
    )
