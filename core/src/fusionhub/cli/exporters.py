"""Exporters of long-running processes: what observer plugins start through `fusionhub_start_exporters`.

Core names no exporter: a plugin (fusionhub-prometheus, …) answers the hook; the CLI only
passes the user's metrics port and stops what was started.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import click

from fusionhub.registry import Registry

METRICS_PORT_ENV = "FUSIONHUB_METRICS_PORT"

metrics_port_option = click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    envvar=METRICS_PORT_ENV,
    show_envvar=True,
    default=None,
    help="Serve metrics on this TCP port, through an installed exporter plugin (fusionhub-prometheus).",
)


@contextlib.contextmanager
def exporters(registry: Registry, process: str, metrics_port: int | None) -> Iterator[int]:
    """Start every installed exporter for `process`; yields how many started, stops them on exit."""
    try:
        started = registry.hook.fusionhub_start_exporters(process=process, metrics_port=metrics_port)
    except OSError as exc:  # the port is taken, or not ours to bind
        raise click.ClickException(f"cannot start exporters on metrics port {metrics_port}: {exc}") from exc
    stops: list[Callable[[], None]] = [stop for stop in started if stop is not None]
    if metrics_port is not None and not stops:
        raise click.UsageError(
            f"--metrics-port / {METRICS_PORT_ENV} given but no installed plugin exports metrics: "
            'install one (pip install "fusionhub[prometheus]")'
        )
    try:
        yield len(stops)
    finally:
        for stop in reversed(stops):
            stop()
