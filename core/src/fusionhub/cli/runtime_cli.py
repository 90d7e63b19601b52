"""What the runtime's commands share: opening the runtime, JSON/TTY output, error exits."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
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


DEBUG_ENV = "FUSIONHUB_DEBUG"


def run_async(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """A click callback from a coroutine; taxonomy errors become a one-line message and exit 1.

    Any other exception is a bug, not the user's mistake: still one line (scrubbed of secrets)
    and exit 1, with the traceback only when FUSIONHUB_DEBUG is set.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        quiet_logs()
        try:
            return asyncio.run(fn(*args, **kwargs))
        except FusionHubError as exc:
            click.echo(f"error: {exc.user_message}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader stopped reading (`| head`): nothing left to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # as a shell reports a process ended by SIGPIPE
        except Exception as exc:
            import os

            from fusionhub.observability.redaction import scrub

            if os.environ.get(DEBUG_ENV):
                raise
            click.echo(
                f"error: unexpected {type(exc).__name__}: {scrub(str(exc))} (set {DEBUG_ENV}=1 for details)", err=True
            )
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
    with opening_database(database):
        return await Runtime.open(database, **kwargs)


@contextlib.contextmanager
def opening_database(database: str | None) -> Iterator[None]:
    """A database that cannot be opened (bad URL, no driver, unreachable) is a one-line error, its password hidden."""
    import sqlalchemy.exc

    try:
        yield
    except FusionHubError:
        raise
    except (ValueError, OSError, ImportError, sqlalchemy.exc.SQLAlchemyError) as exc:
        raise click.ClickException(f"cannot open the database {_shown_url(database)}: {_reason(exc)}") from None


def _shown_url(database: str | None) -> str:
    """The database URL without its password (or where the default database lives)."""
    import os

    import sqlalchemy

    url = database or os.environ.get("FUSIONHUB_DATABASE_URL")
    if not url:
        return "(the default SQLite file)"
    try:
        return repr(sqlalchemy.engine.make_url(url).render_as_string(hide_password=True))
    except (ValueError, sqlalchemy.exc.ArgumentError):
        return repr(url.split("@")[-1]) if "@" in url else repr(url)


def _reason(exc: BaseException) -> str:
    from fusionhub.observability.redaction import scrub

    if isinstance(exc, ImportError):  # the URL names a driver that is not installed
        driver = f"its driver {exc.name}" if exc.name else "its driver"
        speaks = "fusionhub speaks sqlite:/// and postgresql:// (pip install 'fusionhub[postgres]')"
        return f"{driver} is not installed; {speaks}"

    original = getattr(exc, "orig", None) or exc  # a DBAPI error's own message, without SQLAlchemy's boilerplate
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return scrub(text)[:300]


def read_json(value: str | None, what: str, *, obj: bool = False) -> Any:
    """JSON given inline or as @file; `obj`: it must be a JSON object. Every mistake is a BadParameter."""
    if value is None:
        return None
    text = _read_file(value[1:], what) if value.startswith("@") else value
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, an integer too long, nesting too deep
        raise click.BadParameter(f"{what} is not usable JSON: {str(exc) or 'nested too deeply'}") from None
    if obj and not isinstance(data, dict):
        raise click.BadParameter(f"{what} must be a JSON object ({{...}}), not {type(data).__name__}")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _read_file(name: str, what: str) -> str:
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.BadParameter(f"{what}: no file {str(path)!r}") from None
    except UnicodeDecodeError:
        raise click.BadParameter(f"{what}: {str(path)!r} is not UTF-8 text") from None
    except OSError as exc:
        raise click.BadParameter(f"{what}: cannot read {str(path)!r}: {exc.strerror or exc}") from None


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def is_terminal() -> bool:
    return sys.stdout.isatty()


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*aws))
