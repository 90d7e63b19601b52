"""`fusionhub run STORE CAPABILITY`: enqueue a capability; `--wait` runs it here and shows the outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from fusionhub.capabilities import Capability
from fusionhub.cli.jobs import echo_summary, job_data
from fusionhub.cli.runtime_cli import (
    database_option,
    echo_json,
    is_terminal,
    json_option,
    open_runtime,
    read_json,
    run_async,
)
from fusionhub.context import RunMode
from fusionhub.jobs import Job, Worker


async def wait_for(runtime: Any, job: Job, *, show_progress: bool, concurrency: int = 4) -> Job:
    """Run `job` and its per-item jobs (no other) in this process until it is finished; a bar for bulks."""
    worker = Worker(runtime, concurrency=concurrency, idle_nap=0.1, tree=job.id)
    serving = asyncio.create_task(worker.run())
    try:
        if show_progress:
            return await _with_bar(runtime, job.id)
        return await _until_done(runtime, job.id)
    finally:
        worker.stop()
        await serving


async def _until_done(runtime: Any, job_id: str) -> Job:
    while True:
        current = await runtime.queue.get(job_id)
        assert current is not None
        if current.finished:
            return current  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)


async def _with_bar(runtime: Any, job_id: str) -> Job:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task("running", total=None)
        while True:
            current = await runtime.queue.get(job_id)
            assert current is not None
            bar.update(
                task,
                description=f"{current.capability} [{current.status.value}]",
                total=current.progress_total,
                completed=current.progress_done,
            )
            if current.finished:
                return current  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)


@click.command()
@click.argument("store")
@click.argument("capability", type=click.Choice([c.value for c in Capability]))
@click.option("--params", "raw_params", help="Params as JSON or @file.json.")
@click.option("--wait", is_flag=True, help="Run it now in this process (through the queue) and show the outcome.")
@click.option("--key", "idempotency_key", help="Idempotency key: enqueueing the same key again returns the first job.")
@database_option
@json_option
@run_async
async def run(
    store: str,
    capability: str,
    raw_params: str | None,
    wait: bool,
    idempotency_key: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Queue CAPABILITY for STORE; a worker (`fusionhub worker`) runs it, or this command with --wait."""
    params = read_json(raw_params, "--params", obj=True)
    runtime = await open_runtime(database)
    try:
        # Refused here, before anything is queued, exactly as the job would be when it runs.
        job = await runtime.enqueue(
            store,
            capability,
            params,
            mode=RunMode.INTERACTIVE,
            idempotency_key=idempotency_key,
        )
        if wait:
            job = await wait_for(runtime, job, show_progress=is_terminal() and not as_json)
    finally:
        await runtime.aclose()
    if as_json:
        echo_json(job_data(job))
    else:
        echo_summary(job)
    if job.status.value == "failed":
        raise SystemExit(1)
