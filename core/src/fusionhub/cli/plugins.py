"""`fusionhub plugins …`: what is installed, what loaded, why the rest did not, who can do what.

Broken plugins never make these commands fail: reporting them is their job.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from fusionhub.registry import PluginRecord

# The framework (registry, models, plugins) is imported inside the commands: `plugins list`
# answered from the verdict cache (fusionhub.verdict_cache) needs none of it.
ENV_STRICT = "FUSIONHUB_STRICT_PLUGINS"  # fusionhub.registry.ENV_STRICT, named here without importing it


@click.group()
@click.option(
    "--strict",
    is_flag=True,
    default=None,
    help="Raise on the first broken plugin (for plugin authors; also FUSIONHUB_STRICT_PLUGINS=1).",
)
@click.pass_context
def plugins(ctx: click.Context, strict: bool | None) -> None:
    """Inspect installed platform and observer plugins."""
    ctx.obj = {"strict": strict}


def _strict(ctx: click.Context) -> bool | None:
    return (ctx.find_object(dict) or {}).get("strict")


def discover(ctx: click.Context) -> list[PluginRecord]:
    """The full check: import, inspect and validate every plugin."""
    from fusionhub.errors import PluginLoadError
    from fusionhub.registry import Registry

    strict = _strict(ctx)
    try:
        return Registry.discover(strict=strict).records
    except PluginLoadError as exc:
        click.echo(f"error: {exc.user_message}", err=True)
        if exc.details.get("hint"):
            click.echo(f"fix: {exc.details['hint']}", err=True)
        ctx.exit(1)
    raise AssertionError("unreachable")  # pragma: no cover


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def listing(ctx: click.Context, *, fresh: bool) -> list[dict[str, Any]]:
    """`plugins list --json`'s entries: from the verdict cache while nothing they depend on changed,
    else from the full check (which refreshes the cache). Strict mode always runs the full check."""
    from fusionhub import verdict_cache

    use_cache = not _strict(ctx) and not _env_strict()
    env_key = verdict_cache.environment_key() if use_cache else ""
    if use_cache and not fresh:
        cached = verdict_cache.load(env_key)
        if isinstance(cached, list) and all(isinstance(e, dict) and e.keys() >= _ENTRY_KEYS for e in cached):
            return cached
    started = time.time_ns()
    records = discover(ctx)
    from fusionhub.cli.report import plugin_entry

    entries = [plugin_entry(r) for r in records]
    if use_cache:
        # JSON's own round trip, so a hit prints exactly what this run prints.
        entries = json.loads(json.dumps(entries, default=str))
        verdict_cache.store(env_key, entries, _plugin_modules(), checked_since=started)
    return entries


# What the table reads of an entry (fusionhub.cli.report.plugin_entry writes these and more).
_ENTRY_KEYS = {"slug", "name", "version", "distribution", "kind", "status", "error", "capabilities"}


def _env_strict() -> bool:
    return os.environ.get(ENV_STRICT, "").strip().lower() in {"1", "true", "yes", "on"}


def _plugin_modules() -> list[str]:
    from importlib.metadata import entry_points

    from fusionhub.registry import ENTRY_POINT_GROUP

    return [ep.module for ep in entry_points(group=ENTRY_POINT_GROUP)]


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (for scripts).")
@click.option(
    "--fresh",
    is_flag=True,
    help="Import and check every plugin again instead of reusing the cached verdicts (and refresh them).",
)
@click.pass_context
def list_plugins(ctx: click.Context, as_json: bool, fresh: bool) -> None:
    """Every plugin found, with its status (loaded, failed, blocked, incompatible)."""
    entries = listing(ctx, fresh=fresh)
    if as_json:
        _print_json(entries)
        return
    from fusionhub.cli.tables import render_list

    render_list(entries)


@plugins.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (for scripts).")
@click.pass_context
def show(ctx: click.Context, slug: str, as_json: bool) -> None:
    """One plugin: manifest, constraints and every capability's contract."""
    from fusionhub.cli.report import find, plugin_entry

    records = discover(ctx)
    record = find(records, slug)
    if record is None:
        known = ", ".join(sorted({r.slug for r in records})) or "none"
        click.echo(f"error: no plugin named {slug!r} is installed (found: {known})", err=True)
        ctx.exit(1)
    assert record is not None
    if as_json:
        _print_json(plugin_entry(record))
        return
    from fusionhub.cli.tables import render_show

    render_show(record)


@plugins.command()
@click.option("--check", is_flag=True, help="Exit 1 when any plugin failed or is incompatible (for CI).")
@click.pass_context
def doctor(ctx: click.Context, check: bool) -> None:
    """Every plugin that did not load, with its reason and how to fix it (always the full check)."""
    from fusionhub.registry import PluginStatus

    records = discover(ctx)
    from fusionhub.cli.tables import render_doctor

    render_doctor(records)
    # Blocked plugins were switched off on purpose: not a failure.
    if check and any(r.status in {PluginStatus.FAILED, PluginStatus.INCOMPATIBLE} for r in records):
        ctx.exit(1)


@plugins.command()
@click.option("--json", "as_json", is_flag=True, help="Print {capability: {slug: level}} (for scripts).")
@click.pass_context
def matrix(ctx: click.Context, as_json: bool) -> None:
    """Capabilities × loaded platforms with their levels; unsupported ones greyed with the reason."""
    from fusionhub.capabilities import Capability
    from fusionhub.cli.report import platforms

    records = discover(ctx)
    if as_json:
        loaded = platforms(records)
        _print_json(
            {c.value: {r.slug: r.manifest.contract(c).level.value for r in loaded if r.manifest} for c in Capability}
        )
        return
    from fusionhub.cli.tables import render_matrix

    render_matrix(records)
