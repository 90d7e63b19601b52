"""`fusionhub stores …`: connect stores (one platform each), list, inspect, enable, disable, remove."""

from __future__ import annotations

from typing import Any

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, read_json, run_async


@click.group()
def stores() -> None:
    """Connect and manage stores. Credentials are encrypted at rest."""


def _credentials(pairs: tuple[str, ...], raw: str | None) -> dict[str, Any]:
    values: dict[str, Any] = dict(read_json(raw, "--credentials", obj=True) or {})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter("write KEY=VALUE", param_hint="--credential")  # the pair may hold a secret
        values[key.strip()] = value
    return values


def _row(record: Any) -> str:
    state = "enabled" if record.is_enabled else "disabled"
    return f"{record.name:<24} {record.platform:<14} {state:<9} {record.id}"


@stores.command("add")
@click.argument("name")
@click.argument("platform")
@click.option("--credential", "pairs", multiple=True, help="KEY=VALUE, repeatable (avoid: visible in shell history).")
@click.option("--credentials", "raw_credentials", help="Credentials as JSON or @file.json.")
@click.option("--config", "raw_config", help="Store config as JSON or @file.json.")
@database_option
@json_option
@run_async
async def add(
    name: str,
    platform: str,
    pairs: tuple[str, ...],
    raw_credentials: str | None,
    raw_config: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Connect store NAME to PLATFORM (credentials are checked against the plugin's auth first)."""
    runtime = await open_runtime(database)
    try:
        record = await runtime.stores.add(
            name, platform, _credentials(pairs, raw_credentials), read_json(raw_config, "--config", obj=True)
        )
    finally:
        await runtime.aclose()
    echo_json(record.to_dict()) if as_json else click.echo(f"connected {record.name} ({record.platform}) {record.id}")


@stores.command("update")
@click.argument("store")
@click.option("--credential", "pairs", multiple=True, help="KEY=VALUE to set, repeatable; the other keys are kept.")
@click.option("--credentials", "raw_credentials", help="Credential keys to set, as JSON or @file.json.")
@click.option("--config", "raw_config", help="The store's whole config, as JSON or @file.json (replaces it).")
@database_option
@json_option
@run_async
async def update(
    store: str,
    pairs: tuple[str, ...],
    raw_credentials: str | None,
    raw_config: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Change STORE's config and/or credentials; both are checked against its plugin before anything is saved."""
    credentials = _credentials(pairs, raw_credentials)
    config = read_json(raw_config, "--config", obj=True)
    if not credentials and config is None:
        raise click.UsageError("nothing to update: give --config, --credential or --credentials")
    runtime = await open_runtime(database)
    try:
        record = await runtime.stores.get(store)
        if config is not None:
            record = await runtime.stores.update_config(record.id, config)
        if credentials:
            record = await runtime.stores.update_credentials(record.id, credentials, merge=True)
    finally:
        await runtime.aclose()
    echo_json(record.to_dict()) if as_json else click.echo(f"updated {record.name}")


@stores.command("list")
@database_option
@json_option
@run_async
async def list_stores(database: str | None, as_json: bool) -> None:
    """Every store and its platform; a store its plugin refuses as saved is flagged with the fix."""
    runtime = await open_runtime(database)
    try:
        records = await runtime.stores.list()
        problems = {p.store: p for p in await runtime.stores.audit()}
    finally:
        await runtime.aclose()
    if as_json:
        echo_json([{**r.to_dict(), "problem": _problem(problems.get(r.name))} for r in records])
        return
    if not records:
        click.echo("no stores yet: fusionhub stores add NAME PLATFORM --credentials @creds.json")
    for record in records:
        click.echo(_row(record))
        problem = problems.get(record.name)
        if problem is not None:
            click.echo(f"  ! {problem.message}")


def _problem(problem: Any) -> dict[str, Any] | None:
    return None if problem is None else problem.to_dict()


@stores.command("show")
@click.argument("store")
@database_option
@json_option
@run_async
async def show(store: str, database: str | None, as_json: bool) -> None:
    """One store: platform, config, state, and which credential fields it holds (never their values)."""
    runtime = await open_runtime(database)
    try:
        record = await runtime.stores.get(store)
        fields = sorted((await runtime.stores.load(store)).credentials)
        jobs: dict[str, int] = {}
        for job in await runtime.queue.list(store_id=record.id, limit=None):
            jobs[job.status.value] = jobs.get(job.status.value, 0) + 1
    finally:
        await runtime.aclose()
    data = {**record.to_dict(), "credential_fields": fields, "jobs": jobs}
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key:<18} {value}")


def _toggle(enabled: bool) -> Any:
    verb = "enable" if enabled else "disable"

    @click.argument("store")
    @database_option
    @json_option
    @run_async
    async def command(store: str, database: str | None, as_json: bool) -> None:
        runtime = await open_runtime(database)
        try:
            record = await runtime.stores.set_enabled(store, enabled)
        finally:
            await runtime.aclose()
        echo_json(record.to_dict()) if as_json else click.echo(f"{verb}d {record.name}")

    command.__doc__ = f"{verb.capitalize()} the store's plugin instance (its jobs {'run' if enabled else 'fail'})."
    return stores.command(verb)(command)


enable = _toggle(True)
disable = _toggle(False)


@stores.command("remove")
@click.argument("store")
@click.option("--yes", is_flag=True, help="Do not ask.")
@database_option
@json_option
@run_async
async def remove(store: str, yes: bool, database: str | None, as_json: bool) -> None:
    """Remove a store with its credentials, jobs and events."""
    if not yes and not click.confirm(f"remove store {store} with its jobs and events?", default=False):
        raise click.Abort
    runtime = await open_runtime(database)
    try:
        record = await runtime.stores.remove(store)
    finally:
        await runtime.aclose()
    echo_json(record.to_dict()) if as_json else click.echo(f"removed {record.name}")


from fusionhub.cli.connect import connect  # noqa: E402 - the connect flows live in their own module

stores.add_command(connect)
