"""`fusionhub jobs …`: what is queued, running, done; one job's detail; cancel; prune."""

from __future__ import annotations

import json
from typing import Any

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, run_async
from fusionhub.cli.text import echo_table, local_time, plural
from fusionhub.jobs import Job, JobStatus

SHOWN_ITEMS = 20  # rows of a page or failures of a bulk a summary lists; --json has them all
_NAMES = ("title", "name", "sku")
_TIMES = ("run_at", "created_at", "updated_at", "finished_at", "lease_until")


def job_line(job: Job) -> str:
    """One job in a line: id, status, capability, progress, error."""
    parts = [job.id, job.status.value, job.capability]
    if job.progress_total:
        parts.append(f"{job.progress_done}/{job.progress_total} items")
    if job.error_category:
        parts.append(f"{job.error_category}: {job.error_message}")
    return "  ".join(parts)


def summary(result: Any) -> list[str]:
    """A job's result in a few lines a person reads: a page as a table, a bulk as its counts and
    failures, one object by its id, name and status."""
    if not isinstance(result, dict):
        return [str(result)]
    if {"total", "succeeded", "failed"} <= result.keys() and isinstance(result.get("items"), list):
        return _bulk(result)
    if isinstance(result.get("items"), list):
        return _page(result)
    if isinstance(result.get("updated"), list):  # an inventory sync
        return [f"{plural(len(result['updated']), 'level')} updated, {result.get('unchanged', 0)} unchanged"]
    fields = {k: v for k, v in result.items() if not isinstance(v, dict | list) and v is not None and k != "raw"}
    lines = [f"{k}: {v}" for k, v in list(fields.items())[:8]]
    nested = [f"{k}: {len(v)}" for k, v in result.items() if isinstance(v, list) and v]
    return lines + nested


def _name(item: dict[str, Any]) -> str:
    return next((str(item[k]) for k in _NAMES if item.get(k)), "")


def _page(result: dict[str, Any]) -> list[str]:
    from fusionhub.cli.text import table

    items = [i for i in result["items"] if isinstance(i, dict)]
    lines = [plural(len(result["items"]), "item") + (f" of {result['total']}" if result.get("total") else "")]
    if items:
        rows = [(i.get("id", ""), _name(i), i.get("status") or "", i.get("updated_at") or "") for i in items]
        lines += table(("ID", "NAME", "STATUS", "UPDATED"), rows[:SHOWN_ITEMS])
        if len(rows) > SHOWN_ITEMS:
            lines.append(f"… and {len(rows) - SHOWN_ITEMS} more")
    if result.get("next_cursor"):
        lines.append(f'next page: --params \'{{"cursor": "{result["next_cursor"]}"}}\'')
    return lines


def _bulk(result: dict[str, Any]) -> list[str]:
    counts = f"{result['succeeded']} succeeded, {result['failed']} failed"
    if result.get("unknown"):
        counts += f", {result['unknown']} unknown (may or may not be applied)"
    lines = [f"{plural(result['total'], 'item')}: {counts}"]
    failed = [i for i in result["items"] if isinstance(i, dict) and not i.get("ok")]
    for item in failed[:SHOWN_ITEMS]:
        lines.append(
            f"  item {item.get('index')} {item.get('key') or ''}: {item.get('error_category')}: {item.get('error')}"
        )
    if len(failed) > SHOWN_ITEMS:
        lines.append(f"  … and {len(failed) - SHOWN_ITEMS} more failures")
    return lines


def echo_summary(job: Job) -> None:
    click.echo(job_line(job))
    if job.status is JobStatus.QUEUED:
        click.echo("  a worker runs it: `fusionhub worker` (or queue it with --wait to run it here)")
    if job.finished and job.result is not None:
        for line in summary(job.result):
            click.echo(f"  {line}")
        click.echo("  (--json shows the whole result)")


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
        names = {r.id: r.name for r in await runtime.stores.list()}
    finally:
        await runtime.aclose()
    if not with_children:
        found = [j for j in found if j.parent_id is None][:limit]
    if as_json:
        echo_json([job_data(j) for j in found])
        return
    if not found:
        click.echo("no jobs: queue one with `fusionhub run STORE CAPABILITY`")
        return
    rows = [
        (
            j.id,
            names.get(j.store_id, j.store_id),
            j.capability,
            j.status.value,
            f"{j.progress_done}/{j.progress_total}" if j.progress_total else "",
            local_time(j.created_at),
            f"{j.error_category}: {j.error_message}" if j.error_category else "",
        )
        for j in found
    ]
    echo_table(("ID", "STORE", "CAPABILITY", "STATUS", "ITEMS", "CREATED", "ERROR"), rows)


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
        if key == "result" or (value in (None, {}, [], 0) and key not in ("status", "attempts")):
            continue
        shown = local_time(value) if key in _TIMES else json.dumps(value) if isinstance(value, dict | list) else value
        click.echo(f"{key + ':':<18} {shown}")
    if job.result is not None:
        click.echo("result:")
        for line in summary(job.result):
            click.echo(f"  {line}")


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
