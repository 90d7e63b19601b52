"""`fusionhub serve`: the web admin, its JSON API and the webhook receivers, on the CLI's runtime."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from fusionhub.cli.exporters import exporters, metrics_port_option
from fusionhub.cli.runtime_cli import database_option, open_runtime, run_async

if TYPE_CHECKING:
    from fusionhub.runtime import Runtime

INSTALL_HINT = "fusionhub serve needs the serve extra: pip install 'fusionhub[serve]'"


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (beyond loopback only with FUSIONHUB_ADMIN_TOKEN set).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@database_option
@metrics_port_option
@run_async
async def serve(host: str, port: int, database: str | None, metrics_port: int | None) -> None:
    """Serve the admin pages, the JSON API and POST /webhooks/{store} until interrupted."""
    try:
        import uvicorn

        from fusionhub.serve import admin_token, create_app
    except ImportError as exc:
        raise click.ClickException(f"{INSTALL_HINT} ({exc.name} is missing)") from None
    from fusionhub.storage.url import data_dir

    token = admin_token(host, data_dir())
    runtime = await open_runtime(database)
    try:
        app = create_app(runtime, token)
        config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning", server_header=False)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"fusionhub serve: http://{shown}:{port}/ (webhooks: POST /webhooks/STORE)")
        if token.source == "generated":
            click.echo(f"admin token (kept in {token.path}): {token.value}")
        elif token.source == "file":
            click.echo(f"admin token: the one in {token.path}")
        else:
            click.echo("admin token: FUSIONHUB_ADMIN_TOKEN")
        with exporters(runtime.hub.registry, "serve", metrics_port):
            stop = asyncio.Event()
            sampler = _queue_depth(runtime, stop)
            try:
                await uvicorn.Server(config).serve()
            finally:
                stop.set()
                if sampler is not None:
                    await sampler
    finally:
        await runtime.aclose()


def _queue_depth(runtime: Runtime, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """While an observer listens (the metrics exporter), serve counts the queue as workers do:
    a host running serve without workers still shows its backlog."""
    from fusionhub.observability import jobs as observed

    hook = runtime.hub.registry.hook.fusionhub_on_queue_depth
    if not hook.get_hookimpls():
        return None
    return asyncio.create_task(observed.sample_queue_depth(runtime.db, runtime.clock.now, hook, stop))
