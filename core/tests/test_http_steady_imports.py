"""A request in steady state imports nothing: a failed import scans every sys.path entry, each time.

httpcore asks `import sniffio` on every request; with sniffio missing (anyio and httpx stopped
requiring it) that import failed, and was retried, per request: a fifth of a call's CPU in the
scale benchmark. core depends on sniffio so the import is a dictionary look-up.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

import httpx

from fusionhub.http.client import tls_context


class _Recorder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        self.names.append(fullname)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A real HTTP/1.1 server, as small as it gets: every request (its body ignored) gets `{}`."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            fields = (line.partition(b":") for line in head.split(b"\r\n"))
            length = next((int(v) for k, _, v in fields if k.strip().lower() == b"content-length"), 0)
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def test_requests_after_the_first_import_nothing() -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    recorder = _Recorder()
    try:
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(verify=tls_context())) as client:
            assert (await client.get(f"http://127.0.0.1:{port}/warm-up")).json() == {}
            sys.meta_path.insert(0, recorder)
            try:
                for n in range(3):
                    response = await client.post(f"http://127.0.0.1:{port}/item/{n}", json={"n": n})
                    assert response.status_code == 200
            finally:
                sys.meta_path.remove(recorder)
    finally:
        server.close()
        await server.wait_closed()
    assert recorder.names == [], f"imports tried on every request: {sorted(set(recorder.names))}"
