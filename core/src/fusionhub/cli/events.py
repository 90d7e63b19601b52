"""`fusionhub events …`: the platform events received (webhooks) or polled, newest first."""

from __future__ import annotations

from typing import Any

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, run_async
from fusionhub.cli.text import echo_table, local_time, plural


@click.group()
def events() -> None:
    """Platform events: order and inventory changes from webhooks or polling."""


@events.command("list")
@click.option("--store", default=None, help="Only this store's events (name or id).")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=50, show_default=True)
@database_option
@json_option
@run_async
async def list_events(store: str | None, limit: int, database: str | None, as_json: bool) -> None:
    """Newest events first, with the store, type and resource each one is about."""
    runtime = await open_runtime(database)
    try:
        found = await runtime.events.list(store, limit=limit)
        names = {r.id: r.name for r in await runtime.stores.list()}
    finally:
        await runtime.aclose()
    if as_json:
        echo_json([_entry(e, names) for e in found])
        return
    if not found:
        where = f" for {store}" if store else ""
        click.echo(f"no events{where} yet: webhooks arrive through `fusionhub serve`; workers poll the others")
        return
    rows = [
        (
            local_time(e["received_at"]),
            names.get(str(e["store_id"]), str(e["store_id"])),
            e["type"],
            e.get("resource_id") or "",
            e["source"],
            e.get("topic") or "",
        )
        for e in found
    ]
    echo_table(("RECEIVED", "STORE", "TYPE", "RESOURCE", "SOURCE", "TOPIC"), rows)
    if len(found) == limit:
        click.echo(f"(the newest {plural(limit, 'event')}; --limit shows more)")


def _entry(event: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        **event,
        "id": str(event["id"]),
        "store_id": str(event["store_id"]),
        "store": names.get(str(event["store_id"])),
    }
