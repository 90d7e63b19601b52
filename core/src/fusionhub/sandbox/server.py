"""One sandbox for several processes: a plugin's in-process fake served over HTTP on localhost.

`python -m fusionhub.sandbox.server SLUG [--port N]` (or `SandboxServer`) runs the installed
plugin's sandbox on the system clock and prints `listening <url>`; `forwarding(url)` is the
transport a store's client reaches it through. The request keeps its own URL (scheme, host,
path, query) in a header, so the sandbox sees exactly what the platform would, and the store's
client still checks and signs requests for the platform's host. Worker processes killed in the
middle of a write, and hosts run in other processes, share one fake this way.

Control paths, under `/_sandbox/` and never a platform's: `POST /_sandbox/faults` with
`{"fault": "slow" | "lose" | "fail" | "timeout" | "reset" | "inject", ...its arguments}` arms
one of the sandbox's `Faults`; `GET /_sandbox/requests` lists what arrived (method, URL, time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import h11
import httpx

from fusionhub.clock import SYSTEM_CLOCK
from fusionhub.http.client import tls_context
from fusionhub.sandbox.protocol import Sandbox
from fusionhub.sandbox.wire import WireTransport

TARGET_HEADER = "x-fusionhub-sandbox-url"  # the URL the request was sent to, before forwarding
_TARGET = TARGET_HEADER.encode()
CONTROL = "/_sandbox/"
FAULTS = frozenset({"slow", "lose", "fail", "timeout", "reset", "inject"})
MAX_BODY = 64 * 1024 * 1024


class _Forwarding(httpx.AsyncBaseTransport):
    def __init__(self, url: str) -> None:
        self.url = httpx.URL(url)
        # A server on plain http (every sandbox server) gets the lean client; any other, httpx's own.
        self.wire = WireTransport(self.url, max_body=MAX_BODY) if self.url.scheme == "http" else None
        self.inner = None if self.wire is not None else httpx.AsyncHTTPTransport(verify=tls_context())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        headers.append((TARGET_HEADER.encode(), str(request.url).encode()))
        if self.wire is not None:
            return await self.wire.send(request, headers, body)
        assert self.inner is not None
        target = self.url.copy_with(raw_path=request.url.raw_path)
        forwarded = httpx.Request(request.method, target, headers=headers, content=body, extensions=request.extensions)
        return await self.inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        if self.wire is not None:
            await self.wire.aclose()
        if self.inner is not None:
            await self.inner.aclose()


def forwarding(url: str) -> httpx.AsyncBaseTransport:
    """A transport sending every request to the sandbox server at `url`, its own URL kept aside."""
    return _Forwarding(url)


class SandboxServer:
    """Serves `sandbox` over HTTP/1.1 on `host:port` (0: any free port) until stopped."""

    def __init__(self, sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host, self.port = host, port
        self.transport = sandbox.transport()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_BODY)
        try:
            while True:
                request, body = await self._read(conn, reader)
                if request is None:
                    return
                response = await self._answer(request, body)
                content = await response.aread()
                framing = (b"content-length", b"transfer-encoding")  # this server frames the body itself
                headers = [(k, v) for k, v in response.headers.raw if k.lower() not in framing]
                headers.append((b"content-length", str(len(content)).encode()))
                writer.write(conn.send(h11.Response(status_code=response.status_code, headers=headers)) or b"")
                writer.write(conn.send(h11.Data(data=content)) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (h11.RemoteProtocolError, ConnectionError, _Dropped):
            return  # a client gone mid-request, or a lost response played as a dropped connection
        finally:
            writer.close()

    @staticmethod
    async def _read(conn: h11.Connection, reader: asyncio.StreamReader) -> tuple[h11.Request | None, bytes]:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""

    async def _answer(self, event: h11.Request, body: bytes) -> httpx.Response:
        path = event.target.decode("latin-1")
        if path.startswith(CONTROL):
            return self._control(event.method.decode(), path[len(CONTROL) :], body)
        target: bytes | None = None
        headers: list[tuple[bytes, bytes]] = []
        for name, value in event.headers:  # h11 gives the names lower-cased
            if name == _TARGET:
                target = value
            else:
                headers.append((name, value))
        if target is None:
            why = f"send through fusionhub's forwarding transport ({TARGET_HEADER})"
            return httpx.Response(400, json={"error": why})
        request = httpx.Request(event.method.decode(), target.decode("latin-1"), headers=headers, content=body)
        try:
            return await self.transport.handle_async_request(request)
        except httpx.TransportError as exc:  # the sandbox played a network fault: drop the connection
            raise _Dropped from exc

    def _control(self, method: str, what: str, body: bytes) -> httpx.Response:
        if method == "GET" and what == "requests":
            log = [{"method": r.method, "url": str(r.url)} for r in self.sandbox.requests]
            return httpx.Response(200, json={"requests": log})
        if method == "POST" and what == "faults":
            try:
                args: dict[str, Any] = json.loads(body or b"{}")
                kind = args.pop("fault")
                if kind not in FAULTS:
                    raise ValueError(f"fault must be one of {', '.join(sorted(FAULTS))}")
                getattr(self.sandbox.faults, kind)(**args)  # type: ignore[attr-defined]
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                return httpx.Response(400, json={"error": f"{type(exc).__name__}: {exc}"})
            return httpx.Response(204)
        return httpx.Response(404, json={"error": f"no control path {method} {CONTROL}{what}"})


class _Dropped(Exception):
    pass


def _sandbox(slug: str) -> Sandbox:
    from fusionhub.registry import Registry

    registry = Registry.discover()
    make = registry.impl(slug, "fusionhub_sandbox")
    if make is None:
        raise SystemExit(f"plugin {slug!r} offers no sandbox")
    sandbox: Sandbox = make(clock=SYSTEM_CLOCK, options={})
    return sandbox


async def _main(slug: str, host: str, port: int) -> None:
    server = SandboxServer(_sandbox(slug), host=host, port=port)
    print(f"listening {await server.start()}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("slug")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(_main(args.slug, args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)
