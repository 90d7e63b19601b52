"""Fault injection: the next GraphQL requests fail the way networks and servers do."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import httpx

Fault = Callable[[httpx.Request], httpx.Response]


def _server_error(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="Service Unavailable")


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("sandbox: read timed out", request=request)


def _reset(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("sandbox: server disconnected without sending a response", request=request)


def _malformed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "application/json"}, content=b'{"data": {"products": ')


def _internal(request: httpx.Request) -> httpx.Response:
    body = b'{"errors":[{"message":"Internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}'
    return httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)


KINDS: dict[str, Fault] = {
    "5xx": _server_error,
    "timeout": _timeout,
    "reset": _reset,
    "malformed": _malformed,
    "internal": _internal,
}


class Faults:
    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def inject(self, kind: str, times: int = 1) -> None:
        """Make the next `times` GraphQL requests fail with `kind` (one of KINDS)."""
        self._queue.extend([KINDS[kind]] * times)

    def take(self) -> Fault | None:
        return self._queue.popleft() if self._queue else None
