"""The app served by uvicorn on a loopback port from a thread of the test process (its own event
loop), over sandboxed stores, optionally with a worker running the queue in the same loop: what a
browser or an HTTP fuzzer talks to."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from serve_fixtures import TOKEN, Sandboxed, sandboxed

from fusionhub.jobs import Worker
from fusionhub.serve import AdminToken, create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    url: str
    made: Sandboxed | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None


@contextmanager
def live_server(tmp_path: Path, *, worker: bool = False) -> Iterator[Live]:
    port = free_port()
    live = Live(f"http://127.0.0.1:{port}")
    server: list[uvicorn.Server] = []

    async def main() -> None:
        made = await sandboxed(tmp_path)
        live.made = made
        app = create_app(made.runtime, AdminToken(TOKEN, "environment"))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
        server.append(uvicorn.Server(config))
        runner = Worker(made.runtime, concurrency=2, idle_nap=0.1) if worker else None
        working = asyncio.create_task(runner.run()) if runner else None
        serving = asyncio.create_task(server[0].serve())
        try:
            while not server[0].started and not serving.done():  # noqa: ASYNC110 - uvicorn has a flag, no event
                await asyncio.sleep(0.02)
            live.ready.set()
            await serving
        finally:
            if runner and working:
                runner.stop()
                await working
            await made.runtime.aclose()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test, not lost in the thread
            live.failure = exc
        finally:
            live.ready.set()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    try:
        assert live.ready.wait(60), "the live server did not start in 60 s"
        if live.failure is not None:
            raise live.failure
        yield live
    finally:
        if server:
            server[0].should_exit = True
        thread.join(30)
        if live.failure is not None:
            raise live.failure
