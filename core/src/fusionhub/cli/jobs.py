"""`fusionhub jobs …`: what is queued, running, done; one job's detail; cancel; prune."""

from __future__ import annotations

from typing import Any

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, run_async
from fusionhub.jobs import Job, JobStatus


def job_line(job: Job) -> str:
    progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else ""
    error = f"  {job.error_category}: {job.error_message}" if job.error_category else ""
    return f"{job.id}  {job.status.value:<9} {job.capability:<24} {progress:<9}{error}"


def job_data(job: Job) -> dict[str, Any]:
    data = job.to_dict()
    data["status"] = job.status.value
    return data


@click.group()
def jobs() -> None:
    """Inspect and cancel queued jobs."""


@jobs.command("list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@click.option("--store", default=None, help="Store name or id.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--all", "with_children", is_flag=True, help="Include the per-item jobs of fanned-out bulks.")
@database_option
@json_option
@run_async
async def list_jobs(
    status: str | None, store: str | None, limit: int, with_children: bool, database: str | None, as_json: bool
) -> None:
    """Newest jobs first."""
    runtime = await open_runtime(database)
    try:
        store_id = (await runtime.stores.get(store)).id if store else None
        found = await runtime.queue.list(
            status=JobStatus(status) if status else None, store_id=store_id, limit=None if not with_children else limit
        )
    finally:
        await runtime.aclose()
    if not with_children:
        found = [j for j in found if j.parent_id is None][:limit]
    if as_json:
        echo_json([job_data(j) for j in found])
        return
    for job in found:
        click.echo(job_line(job))


@jobs.command("show")
@click.argument("job_id")
@database_option
@json_option
@run_async
async def show(job_id: str, database: str | None, as_json: bool) -> None:
    """One job: status, attempts, progress, result or error."""
    runtime = await open_runtime(database)
    try:
        job = await runtime.queue.get(job_id)
    finally:
        await runtime.aclose()
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    if as_json:
        echo_json(job_data(job))
        return
    for key, value in job_data(job).items():
        if value not in (None, {}, [], 0) or key in ("status", "attempts"):
            click.echo(f"{key:<16} {value}")


@jobs.command("cancel")
@click.argument("job_id")
@database_option
@json_option
@run_async
async def cancel(job_id: str, database: str | None, as_json: bool) -> None:
    """Cancel a job (and its per-item jobs); a running one stops at its worker's next heartbeat."""
    runtime = await open_runtime(database)
    try:
        job = await runtime.queue.cancel(job_id, now=runtime.clock.now())
    finally:
        await runtime.aclose()
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    echo_json(job_data(job)) if as_json else click.echo(job_line(job))


@jobs.command("prune")
@click.option(
    "--days", type=click.FloatRange(min=0), default=30.0, show_default=True, help="Keep jobs finished this recently."
)
@database_option
@json_option
@run_async
async def prune(days: float, database: str | None, as_json: bool) -> None:
    """Delete finished jobs older than --days, with their per-item jobs (and, on PostgreSQL, their
    procrastinate jobs and events). Queued, running and waiting jobs are never touched."""
    runtime = await open_runtime(database)
    try:
        deleted = await runtime.queue.prune(finished_before=runtime.clock.now() - days * 86_400)
    finally:
        await runtime.aclose()
    echo_json({"deleted": deleted, "days": days}) if as_json else click.echo(f"deleted {deleted} finished job(s)")
