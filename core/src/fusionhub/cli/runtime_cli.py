"""What the runtime's commands share: opening the runtime, JSON/TTY output, error exits."""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from fusionhub.errors import FusionHubError

P = ParamSpec("P")
T = TypeVar("T")

database_option = click.option(
    "--database",
    "database",
    envvar="FUSIONHUB_DATABASE_URL",
    default=None,
    help="Database URL (default: SQLite in the user's data directory; or FUSIONHUB_DATABASE_URL).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def run_async(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """A click callback from a coroutine; taxonomy errors become a one-line message and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        quiet_logs()
        try:
            return asyncio.run(fn(*args, **kwargs))
        except FusionHubError as exc:
            click.echo(f"error: {exc.user_message}", err=True)
            sys.exit(1)

    return wrapper


def quiet_logs(default: str = "WARNING") -> None:
    """Logs to stderr, only what matters to a person at a terminal (FUSIONHUB_LOG_LEVEL overrides)."""
    import os

    from fusionhub.observability.logs import configure_logging

    configure_logging(level=os.environ.get("FUSIONHUB_LOG_LEVEL", default), stream=sys.stderr)


SANDBOX_ENV = "FUSIONHUB_SANDBOX"


def sandbox_transports(registry: Any, server: str | None = None) -> Callable[[Any], Any]:
    """Route every store to its plugin's in-process sandbox (offline development, demos, tests), or
    to the sandbox server at `server` (`python -m fusionhub.sandbox.server SLUG`) that several
    processes share."""
    from fusionhub.clock import SYSTEM_CLOCK

    sandboxes: dict[str, Any] = {}
    if server is not None:
        from fusionhub.sandbox.server import forwarding

        return lambda store: forwarding(server)

    def transport_for(store: Any) -> Any:
        if store.platform not in sandboxes:
            hook = registry.platform(store.platform).impls.get("fusionhub_sandbox")
            if hook is None:
                raise click.ClickException(f"{store.platform} has no sandbox; unset {SANDBOX_ENV}")
            sandboxes[store.platform] = hook(clock=SYSTEM_CLOCK, options={})
        return sandboxes[store.platform].transport()

    return transport_for


async def open_runtime(database: str | None, **kwargs: Any) -> Any:
    """The runtime; with FUSIONHUB_SANDBOX=1 every platform is its plugin's sandbox, never the network
    (FUSIONHUB_SANDBOX=http://127.0.0.1:PORT: the sandbox server there, shared by processes)."""
    import os

    from fusionhub.registry import Registry
    from fusionhub.runtime import Runtime

    chosen = os.environ.get(SANDBOX_ENV, "")
    if chosen.lower() in {"1", "true", "yes", "on"} or chosen.startswith(("http://127.0.0.1:", "http://localhost:")):
        registry = kwargs.setdefault("registry", Registry.discover())
        kwargs.setdefault("transport_for", sandbox_transports(registry, chosen if chosen.startswith("http") else None))
    return await Runtime.open(database, **kwargs)


def read_json(value: str | None, what: str) -> Any:
    """JSON given inline or as @file."""
    if value is None:
        return None
    text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from None


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def is_terminal() -> bool:
    return sys.stdout.isatty()


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*aws))
