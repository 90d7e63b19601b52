"""`fusionhub stores …`: connect stores (one platform each) or sandbox stores, list, inspect, check,
update, enable, disable, simulate a lower rate limit, remove."""

from __future__ import annotations

from typing import Any

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, read_json, run_async
from fusionhub.cli.text import duration as parse_duration
from fusionhub.cli.text import echo_table, local_time


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


@stores.command("add")
@click.argument("name")
@click.argument("platform")
@click.option("--credential", "pairs", multiple=True, help="KEY=VALUE, repeatable (avoid: visible in shell history).")
@click.option("--credentials", "raw_credentials", help="Credentials as JSON or @file.json.")
@click.option("--config", "raw_config", help="Store config as JSON or @file.json.")
@click.option(
    "--sandbox",
    is_flag=True,
    help="A fake shop of PLATFORM kept in the database (no credentials: the sandbox issues them).",
)
@database_option
@json_option
@run_async
async def add(
    name: str,
    platform: str,
    pairs: tuple[str, ...],
    raw_credentials: str | None,
    raw_config: str | None,
    sandbox: bool,
    database: str | None,
    as_json: bool,
) -> None:
    """Connect store NAME to PLATFORM (credentials are checked against the plugin's auth first).

    With --sandbox the store is bound to its plugin's sandbox: a fake shop kept in the database,
    the same for every process (`fusionhub run`, workers) until the store is removed.
    """
    if sandbox and (pairs or raw_credentials):
        raise click.UsageError("a --sandbox store takes no credentials: the sandbox issues them")
    config = read_json(raw_config, "--config", obj=True)
    credentials = _credentials(pairs, raw_credentials)
    runtime = await open_runtime(database)
    try:
        if sandbox:
            record = await runtime.sandboxes.add_store(runtime.stores, name, platform, config)
        else:
            record = await runtime.stores.add(name, platform, credentials, config)
    finally:
        await runtime.aclose()
    if as_json:
        echo_json({**record.to_dict(), "sandbox": sandbox})
        return
    kind = f"a {record.platform} sandbox kept in the database" if sandbox else record.platform
    click.echo(f"connected {record.name} ({kind}), id {record.id}")
    click.echo(f"try: fusionhub stores check {record.name}; fusionhub run {record.name} list_products --wait")


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
    if as_json:
        echo_json(record.to_dict())
        return
    changed = [what for what, given in (("config", config is not None), ("credentials", bool(credentials))) if given]
    fields = f" ({', '.join(sorted(credentials))})" if credentials else ""
    click.echo(f"updated {record.name}: {' and '.join(changed)}{fields}")


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
        sandboxed = await runtime.sandboxes.bound()
    finally:
        await runtime.aclose()
    if as_json:
        echo_json(
            [{**r.to_dict(), "sandbox": r.id in sandboxed, "problem": _problem(problems.get(r.name))} for r in records]
        )
        return
    if not records:
        click.echo("no stores yet: fusionhub stores add NAME PLATFORM --credentials @creds.json (or --sandbox)")
        return
    rows = [
        (
            r.name,
            r.platform + (" (sandbox)" if r.id in sandboxed else ""),
            "enabled" if r.is_enabled else "disabled",
            local_time(r.created_at),
            r.id,
        )
        for r in records
    ]
    echo_table(("NAME", "PLATFORM", "STATE", "ADDED", "ID"), rows)
    for record in records:
        problem = problems.get(record.name)
        if problem is not None:
            click.echo(f"! {problem.message}")


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
        sandbox = await runtime.sandboxes.info(record.id)
        limit = await runtime.simulated_limits.get(record.id)
    finally:
        await runtime.aclose()
    data = {
        **record.to_dict(),
        "credential_fields": fields,
        "jobs": jobs,
        "sandbox": sandbox.to_dict() if sandbox else None,
        "simulated_limit": limit.to_dict() if limit else None,
    }
    if as_json:
        echo_json(data)
        return
    lines = {
        "name": record.name,
        "id": record.id,
        "platform": record.platform,
        "state": "enabled" if record.is_enabled else "disabled",
        "added": local_time(record.created_at),
        "changed": local_time(record.updated_at),
        "config": ", ".join(f"{k}={v}" for k, v in sorted(record.config.items())) or "(none)",
        "credentials": ", ".join(fields) or "(none)",
        "jobs": ", ".join(f"{n} {status}" for status, n in sorted(jobs.items())) or "none",
    }
    if sandbox is not None:
        lines["sandbox"] = f"kept in the database: {sandbox.size} bytes, changed {local_time(sandbox.updated_at)}"
    if limit is not None:
        lines["rate limit"] = f"simulated at {limit.factor:g} of its own until {local_time(limit.until)}"
    for key, value in lines.items():
        click.echo(f"{key + ':':<13} {value}")


@stores.command("check")
@click.argument("store")
@database_option
@json_option
@run_async
async def check(store: str, database: str | None, as_json: bool) -> None:
    """Call STORE's platform once with its saved credentials (a one-item page); exit 1 if it fails."""
    from fusionhub.cli.runtime_cli import quiet_logs
    from fusionhub.stores.reach import check_store

    quiet_logs("ERROR")  # a refused call is this command's answer, said once below, not a warning too
    runtime = await open_runtime(database)
    try:
        result = await check_store(runtime, store)
    finally:
        await runtime.aclose()
    if as_json:
        echo_json(result.to_dict())
    elif result.ok:
        click.echo(f"ok: {result.store} ({result.platform}) answered {result.capability} in {result.duration_ms:g} ms")
    else:
        click.echo(f"failed: {result.store} ({result.platform}): {result.error_category}: {result.message}")
    if not result.ok:
        raise SystemExit(1)


@stores.command("simulate-rate-limit")
@click.argument("store")
@click.option(
    "--factor",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=0.1,
    show_default=True,
    help="The fraction of the store's own limit (0.1 = a tenth).",
)
@click.option(
    "--for", "duration", callback=parse_duration, default="10m", show_default=True, help="How long: 90s, 10m, 2h."
)
@click.option("--end", is_flag=True, help="End the store's simulation now.")
@database_option
@json_option
@run_async
async def simulate_rate_limit(
    store: str, factor: float, duration: float, end: bool, database: str | None, as_json: bool
) -> None:
    """Lower STORE's rate limit for a while, in every worker on this database, to see how jobs cope.

    The real limit keeps counting too: the platform never sees more than before.
    """
    runtime = await open_runtime(database)
    try:
        limit = await runtime.simulate_rate_limit(store, factor, 0.0 if end else duration)
        record = await runtime.stores.get(store)
    finally:
        await runtime.aclose()
    if as_json:
        echo_json({"store": record.name, "simulated_limit": limit.to_dict() if limit else None})
    elif limit is None:
        click.echo(f"{record.name}: rate limit back to its own")
    else:
        click.echo(f"{record.name}: rate limit at {limit.factor:g} of its own until {local_time(limit.until)}")


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
