"""The forwarding transport's own HTTP/1.1 client (`fusionhub.sandbox.wire`), against real servers
on loopback: kept-alive connections, framing, and each failure as httpx's own error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from fusionhub.sandbox.wire import WireTransport

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _head_and_body(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:])
    length = next((int(v) for k, _, v in fields if k.strip().lower() == b"content-length"), 0)
    return head, await reader.readexactly(length)


class Server:
    def __init__(self, serve: Serve) -> None:
        self.serve = serve
        self.connections = 0
        self.heads: list[bytes] = []

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


Start = Callable[[Serve], Awaitable[tuple[Server, WireTransport]]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[asyncio.Server] = []
    transports: list[WireTransport] = []

    async def make(serve: Serve) -> tuple[Server, WireTransport]:
        server = Server(serve)
        listening = await asyncio.start_server(server._connection, "127.0.0.1", 0)
        servers.append(listening)
        port = listening.sockets[0].getsockname()[1]
        transports.append(WireTransport(httpx.URL(f"http://127.0.0.1:{port}"), max_body=1 << 20))
        return server, transports[-1]

    yield make
    for transport in transports:
        await transport.aclose()
    for listening in servers:
        listening.close()


def echo(server_heads: list[bytes]) -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head, body = await _head_and_body(reader)
            server_heads.append(head)
            answer = b'{"got":"' + body + b'"}'
            writer.write(b"HTTP/1.1 201 Created\r\nX-Seen: yes\r\ncontent-length: %d\r\n\r\n%s" % (len(answer), answer))
            await writer.drain()

    return serve


async def test_requests_share_one_kept_alive_connection_and_keep_their_framing(start: Start) -> None:
    heads: list[bytes] = []
    server, wire = await start(echo(heads))
    async with httpx.AsyncClient(transport=wire, base_url="http://127.0.0.1") as client:
        for n in range(3):
            response = await client.post(f"/items/{n}?q=1", content=f"body{n}".encode(), headers={"X-Api-Key": "k"})
            assert (response.status_code, response.json(), response.headers["x-seen"]) == (
                201,
                {"got": f"body{n}"},
                "yes",
            )
            assert response.reason_phrase == "Created" and response.http_version == "HTTP/1.1"
        assert (await client.get("/plain")).status_code == 201
    assert server.connections == 1
    assert heads[0].startswith(b"POST /items/0?q=1 HTTP/1.1\r\n")
    assert b"x-api-key: k" in heads[0].lower() and b"content-length: 5" in heads[0].lower()
    assert heads[3].startswith(b"GET /plain HTTP/1.1\r\n")


async def test_a_connection_the_server_closed_while_idle_is_not_reused(start: Start) -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head_and_body(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()  # then the server closes the connection, without saying so

    server, wire = await start(once)
    async with httpx.AsyncClient(transport=wire) as client:
        assert (await client.get("http://127.0.0.1/a")).text == "ok"
        await asyncio.sleep(0.05)  # the close arrives while the connection sits idle
        assert (await client.get("http://127.0.0.1/b")).text == "ok"
    assert server.connections == 2


async def test_a_connection_dropped_before_the_answer_is_a_remote_protocol_error(start: Start) -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head_and_body(reader)  # applied, say, and the answer lost

    server, wire = await start(drop)
    async with httpx.AsyncClient(transport=wire) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("http://127.0.0.1/lost", json={"a": 1})
    assert server.connections == 1  # not sent again


async def test_an_answer_later_than_the_read_timeout_is_a_read_timeout(start: Start) -> None:
    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head_and_body(reader)
        await asyncio.sleep(2)

    _, wire = await start(late)
    async with httpx.AsyncClient(transport=wire, timeout=httpx.Timeout(5, read=0.1)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("http://127.0.0.1/slow")


async def test_no_server_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    wire = WireTransport(httpx.URL(f"http://127.0.0.1:{port}"), max_body=1024)
    async with httpx.AsyncClient(transport=wire) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


def test_only_a_plain_http_server_is_taken() -> None:
    with pytest.raises(ValueError, match="plain http"):
        WireTransport(httpx.URL("https://127.0.0.1:8443"), max_body=1024)
