"""`fusionhub stores connect PLATFORM`: the platform's connect flow from a terminal.

The flow is the one the admin's Connect page runs (`fusionhub.connecting`, declared in the plugin's
manifest). An `oauth` flow listens on a local callback (http://127.0.0.1:PORT/connect/PLATFORM/callback:
register it with the app), prints the consent URL (and opens it when asked), waits for the platform
to send the browser back, then checks the callback, exchanges the code and saves the store. A
`client_credentials` or `token` flow is saved at once. Secret fields left out are asked for hidden.
Heavy imports stay inside the command: `fusionhub --help` does not pay for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, open_runtime, run_async

if TYPE_CHECKING:
    from fusionhub.connect import ConnectFlow
    from fusionhub.contracts import PluginManifest

Approver = Callable[[str], Coroutine[Any, Any, None]]
DEFAULT_PORT = 8765
WAIT_SECONDS = 600.0  # as long as a started flow stays valid (fusionhub.connecting.PENDING_SECONDS)


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter("write NAME=VALUE", param_hint="--field")  # the pair may hold a secret
        values[key.strip()] = value
    return values


def _choose(manifest: PluginManifest, flow_id: str | None) -> ConnectFlow:
    from fusionhub.connecting import flow_of

    if not manifest.connect:
        raise click.ClickException(
            f"{manifest.slug} declares no connect flow: use `fusionhub stores add NAME {manifest.slug} --credentials …`"
        )
    if flow_id is None:
        if len(manifest.connect) > 1:
            listed = "; ".join(f"{f.id} ({f.title})" for f in manifest.connect)
            raise click.UsageError(f"{manifest.slug} has several connect flows, choose one with --flow: {listed}")
        return manifest.connect[0]
    return flow_of(manifest, flow_id)


def _ask_missing(flow: ConnectFlow, values: dict[str, str], interactive: bool) -> dict[str, str]:
    """Secret fields (and any other left out) asked for at a terminal; never echoed."""
    for spec in flow.fields:
        if spec.name in values or not spec.required or spec.default:
            continue
        if not interactive:
            continue  # read_fields names every missing one at once
        values[spec.name] = click.prompt(spec.label, hide_input=spec.secret, err=True)
    return values


class CallbackListener:
    """A one-request HTTP listener: the platform's redirect back to `path`, answered once done."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self._server: asyncio.Server | None = None
        self._arrived: asyncio.Future[tuple[dict[str, str], asyncio.StreamWriter]] | None = None

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    async def start(self) -> None:
        self._arrived = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def wait(self, seconds: float) -> tuple[dict[str, str], asyncio.StreamWriter]:
        assert self._arrived is not None
        async with asyncio.timeout(seconds):
            return await asyncio.shield(self._arrived)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        method, _, rest = head.decode("latin-1").partition(" ")
        target = rest.split(" ", 1)[0]
        url = urlsplit(target)
        if method != "GET" or url.path != self.path or self._arrived is None or self._arrived.done():
            await answer(writer, 404, "Not the callback of a connection in progress.")
            return
        self._arrived.set_result((dict(parse_qsl(url.query, keep_blank_values=True)), writer))

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def _sandbox_approver(runtime: Any, platform: str) -> Approver:
    """Approve on the sandbox's consent page (through the runtime's sandbox transport), then follow
    its redirect to the local callback, as the person's browser would."""
    import httpx

    from fusionhub.stores import Store

    async def approve(consent_url: str) -> None:
        transport = runtime.transport_for(Store(platform))  # FUSIONHUB_SANDBOX's: the platform's sandbox
        async with httpx.AsyncClient(transport=transport, timeout=30) as sandbox:
            await sandbox.get(consent_url)
            answered = await sandbox.post(consent_url, data={"approve": "yes"})
        location = answered.headers.get("location")
        if answered.status_code != 302 or not location:
            raise click.ClickException(
                f"the sandbox's consent page answered {answered.status_code}: {answered.text[:200]}"
            )
        async with httpx.AsyncClient(timeout=30) as browser:
            await browser.get(location)

    return approve


async def answer(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Fusion Stage Hub</title>"
        f"<p>{escape(message)}</p></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    writer.write(head + body)
    try:
        await writer.drain()
    finally:
        writer.close()


@click.command("connect")
@click.argument("platform")
@click.option("--flow", "flow_id", help="Which of the platform's connect flows (when it has several).")
@click.option("--name", help="The store's name (default: from the shop or seller, else the platform).")
@click.option(
    "--field", "pairs", multiple=True, help="NAME=VALUE of the flow's fields, repeatable; secrets left out are asked."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the local callback listens.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="Its port (0: any free one)."
)
@click.option("--open/--no-open", "open_browser", default=False, help="Open the consent URL in the browser.")
@click.option(
    "--sandbox-approve",
    is_flag=True,
    help="Under FUSIONHUB_SANDBOX only: approve on the sandbox's consent page yourself (try a flow offline).",
)
@click.option(
    "--timeout",
    "wait_seconds",
    default=WAIT_SECONDS,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds to wait for the callback.",
)
@database_option
@json_option
@run_async
async def connect(
    platform: str,
    flow_id: str | None,
    name: str | None,
    pairs: tuple[str, ...],
    host: str,
    port: int,
    open_browser: bool,
    sandbox_approve: bool,
    wait_seconds: float,
    database: str | None,
    as_json: bool,
) -> None:
    """Connect a store of PLATFORM through its connect flow (OAuth with a local callback, or a token)."""
    import os
    import sys

    from fusionhub import connecting
    from fusionhub.cli.runtime_cli import SANDBOX_ENV
    from fusionhub.connect import FlowKind

    if sandbox_approve and not os.environ.get(SANDBOX_ENV):
        raise click.UsageError(
            f"--sandbox-approve clicks a sandbox's consent page: set {SANDBOX_ENV} first (1, or a sandbox server's URL)"
        )
    runtime = await open_runtime(database)
    try:
        manifest = runtime.hub.manifest(platform)
        flow = _choose(manifest, flow_id)
        entered = _ask_missing(flow, _fields(pairs), sys.stdin.isatty())
        values = connecting.read_fields(manifest, flow, entered)
        if flow.kind is not FlowKind.OAUTH:
            record = await connecting.submit(runtime, platform, flow, values, name=name)
        else:
            listener = CallbackListener(host, port, f"/connect/{manifest.slug}/callback")
            approver = _sandbox_approver(runtime, platform) if sandbox_approve else None
            record = await _oauth(runtime, manifest, flow, values, name, listener, open_browser, wait_seconds, approver)
    finally:
        await runtime.aclose()
    echo_json(record.to_dict()) if as_json else click.echo(f"connected {record.name} ({record.platform}) {record.id}")


async def _oauth(
    runtime: Any,
    manifest: PluginManifest,
    flow: ConnectFlow,
    values: Mapping[str, Any],
    name: str | None,
    listener: CallbackListener,
    open_browser: bool,
    wait_seconds: float,
    approver: Approver | None = None,
) -> Any:
    from fusionhub import connecting
    from fusionhub.errors import FusionHubError

    try:
        await listener.start()
    except OSError as exc:
        where = f"{listener.host}:{listener.port}"
        raise click.ClickException(f"cannot listen on {where} for the callback ({exc.strerror}): try --port") from None
    try:
        now = runtime.clock.now()
        pending = connecting.begin(manifest, flow, values, listener.redirect_uri, now=now, name=name)
        click.echo(f"redirect URI (register it with the app): {listener.redirect_uri}", err=True)
        click.echo(f"open this URL to approve the app, then come back:\n{pending.url}", err=True)
        if open_browser:
            import webbrowser

            webbrowser.open(pending.url)
        clicked: asyncio.Task[None] | None = None
        if approver is not None:
            clicked = asyncio.create_task(approver(pending.url))
        try:
            query, writer = await listener.wait(wait_seconds)
        except TimeoutError:
            raise click.ClickException(f"no callback within {wait_seconds:g} s: nothing was saved") from None
        try:
            record = await connecting.finish(runtime, pending, query)
        except FusionHubError as exc:
            await answer(writer, 400, f"Not connected: {exc.user_message}")
            raise
        await answer(writer, 200, f"Connected {record.name} ({record.platform}). You can close this tab.")
        if clicked is not None:
            await clicked
        return record
    finally:
        await listener.aclose()
