"""SandboxBase: the mechanism every sandbox shares, so a plugin writes only its platform.

A subclass sets `slug`, implements `serve(request)` (its wire format, state and handlers, built
from a RouteTable, Faults and a SandboxBucket as it needs), and the Sandbox protocol's
`credentials`, `store_config` and `sample_params`. The base logs each request with its clock
time, answers a raised Reply, holds slow answers back on the clock, and gives the transport.
It also keeps the shop between processes (`snapshot`/`restore`, see `fusionhub.sandbox.persistence`):
a subclass names in `transient` its instance attributes that are not the shop's plain data (or
lists the ones that are in `persistent`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from fusionhub.clock import Clock
from fusionhub.sandbox import persistence
from fusionhub.sandbox.bucket import SandboxBucket
from fusionhub.sandbox.faults import DELAY, Faults
from fusionhub.sandbox.log import RequestLog
from fusionhub.sandbox.reply import Reply


class SandboxBase:
    slug: str
    persistent: ClassVar[tuple[str, ...] | None] = None
    """The attributes (dotted paths reach into helpers) that are the shop's state, kept between
    processes for a sandbox store; None: every instance attribute but the toolkit's and `transient`."""
    transient: ClassVar[frozenset[str]] = frozenset()
    """Instance attributes that stay per process (helpers holding code, logs kept for tests)."""

    def __init__(self, clock: Clock, *, faults: Faults | None = None, bucket: SandboxBucket[Any] | None = None) -> None:
        self.clock = clock
        self.requests = RequestLog()
        self.faults = faults or Faults()
        self.bucket: SandboxBucket[Any] = bucket or SandboxBucket(clock, lambda now: {})  # no limit

    @property
    def throttled(self) -> int:
        """Requests the sandbox's bucket refused."""
        return self.bucket.throttled

    @property
    def received_at(self) -> list[float]:
        """The clock time each request arrived (for benchmarks and timing assertions)."""
        return self.requests.times

    def snapshot(self) -> bytes:
        """The shop's state (the `persistent` attributes) as bytes `restore` takes back."""
        return persistence.snapshot(self)

    def restore(self, state: bytes) -> None:
        """Make the shop what `snapshot` saw, in place (helpers holding its objects see the change)."""
        persistence.restore(self, state)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self._answer)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Log `request` and answer it (synchronously: a slow fault's delay applies only via `transport`)."""
        self.requests.record(request, self.clock.now())
        try:
            return self.serve(request)
        except Reply as reply:
            return reply.response

    def serve(self, request: httpx.Request) -> httpx.Response:
        """The platform: answer one request."""
        raise NotImplementedError

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        response = self.handle(request)
        delay = float(request.extensions.get(DELAY, 0.0))
        if delay > 0:
            await self.clock.sleep(delay)
        return response
