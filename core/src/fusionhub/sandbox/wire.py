"""The forwarding transport's own HTTP/1.1 client: kept-alive connections to a sandbox server.

A sandbox server listens on loopback, and every request a store sends it through `forwarding`
crosses this client. httpx's default transport (httpcore's pool over anyio streams) spent more
CPU on each such request than the sandbox spent answering it; between two local processes one
h11 exchange over an asyncio stream is all a request needs. Plain `http://` only.

Failures surface as httpx's own errors, as from httpx's transport: no connection `ConnectError`
(`ConnectTimeout`), a connection dropped before the whole answer (the sandbox playing a lost
response or a reset) `RemoteProtocolError` or `ReadError`, an answer later than the request's
read timeout `ReadTimeout`. A request is never sent twice: a kept-alive connection the server
has closed is noticed before it is used, and a failure after sending is the caller's to see.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import h11
import httpx

READ_SIZE = 65536
MAX_IDLE = 32  # kept-alive connections per transport; a store rarely has more requests in flight
_DROPPED = (b"host", b"content-length", b"transfer-encoding", b"connection", b"keep-alive")


class _Connection:
    __slots__ = ("protocol", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_body: int) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_body)

    def usable(self) -> bool:
        """Idle and still open: the server closing it (a dropped connection) shows as end of stream."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    async def exchange(self, head: h11.Request, body: bytes, read_within: float | None) -> tuple[h11.Response, bytes]:
        out = self.protocol
        data = out.send(head) or b""
        if body:
            data += out.send(h11.Data(data=body)) or b""
        self.writer.write(data + (out.send(h11.EndOfMessage()) or b""))
        await self.writer.drain()
        async with asyncio.timeout(read_within):
            response: h11.Response | None = None
            content = bytearray()
            while True:
                event = out.next_event()
                if event is h11.NEED_DATA:
                    out.receive_data(await self.reader.read(READ_SIZE))
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    content += event.data
                elif isinstance(event, h11.EndOfMessage):
                    assert response is not None
                    return response, bytes(content)
                elif isinstance(event, h11.ConnectionClosed):
                    raise h11.RemoteProtocolError("Server disconnected without sending a response.")

    def next_cycle(self) -> bool:
        """Ready for another request (both sides done, nobody asked to close)."""
        if self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE:
            self.protocol.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        self.writer.close()


class WireTransport(httpx.AsyncBaseTransport):
    """Sends each request to `url`'s host and port over a kept-alive HTTP/1.1 connection, as it is
    (method, path, query, headers, body): the forwarding transport rewrites the request before."""

    def __init__(self, url: httpx.URL, *, max_body: int) -> None:
        if url.scheme != "http" or not url.host:
            raise ValueError(f"a sandbox server's URL is plain http://HOST:PORT, not {url}")
        self.host, self.port = url.host, url.port or 80
        self.netloc = url.netloc
        self.max_body = max_body
        self._idle: list[_Connection] = []

    async def _connect(self, seconds: float | None, request: httpx.Request) -> _Connection:
        try:
            async with asyncio.timeout(seconds):
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=READ_SIZE)
        except TimeoutError as exc:
            why = f"no connection to {self.netloc.decode()} in {seconds} s"
            raise httpx.ConnectTimeout(why, request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(f"no connection to {self.netloc.decode()}: {exc}", request=request) from exc
        return _Connection(reader, writer, self.max_body)

    def _take(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.send(request, request.headers.raw, await request.aread())

    async def send(self, request: httpx.Request, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> httpx.Response:
        """`request` sent with these headers and body instead of its own (its framing redone here)."""
        headers = [(b"host", self.netloc)]
        headers += [(k, v) for k, v in raw_headers if k.lower() not in _DROPPED]
        if body or "content-length" in request.headers:
            headers.append((b"content-length", str(len(body)).encode()))
        head = h11.Request(method=request.method, target=request.url.raw_path, headers=headers)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        connection = self._take() or await self._connect(timeouts.get("connect"), request)
        try:
            response, content = await connection.exchange(head, body, timeouts.get("read"))
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout(f"no answer from {self.netloc.decode()} in time", request=request) from exc
        except (h11.ProtocolError, asyncio.IncompleteReadError) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
        except OSError as exc:
            connection.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        except BaseException:  # cancelled mid-exchange: the connection is in an unknown state
            connection.close()
            raise
        if connection.next_cycle() and len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw_items(),
            content=content,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason},
        )

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        for connection in idle:
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()
