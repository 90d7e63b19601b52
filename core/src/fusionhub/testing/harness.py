"""A hub wired to one plugin's sandbox on a virtual clock: the conformance kit's and tests' workbench."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pydantic

from fusionhub.capabilities import Capability
from fusionhub.clock import VirtualClock
from fusionhub.context import RunMode, StoreContext
from fusionhub.credentials import Credentials
from fusionhub.hub import Hub, Outcome
from fusionhub.registry import Registry
from fusionhub.sandbox import Sandbox
from fusionhub.stores import Store


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests through and keeps each one: an independent count of what reached the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class SandboxRun:
    """One store of platform `slug` connected to a fresh sandbox of that platform."""

    slug: str
    registry: Registry
    clock: VirtualClock
    sandbox: Sandbox
    store: Store
    hub: Hub
    wire: RecordingTransport
    ctx: StoreContext = field(repr=False)

    async def execute(
        self,
        capability: Capability | str,
        params: Mapping[str, Any] | pydantic.BaseModel | None = None,
        *,
        mode: RunMode = RunMode.INTERACTIVE,
        call_key: str | None = None,
        rerun_since: float | None = None,
    ) -> Outcome[Any]:
        """One capability call; `call_key` and `rerun_since` play a job's re-run (see `Hub.execute`)."""
        return await self.hub.execute(
            self.store, capability, params, mode=mode, call_key=call_key, rerun_since=rerun_since
        )

    @property
    def request_count(self) -> int:
        return len(self.wire.requests)

    async def aclose(self) -> None:
        await self.hub.aclose()


def sandbox_run(
    slug: str,
    *,
    clock: VirtualClock | None = None,
    registry: Registry | None = None,
    options: Mapping[str, Any] | None = None,
    credentials: Mapping[str, str] | None = None,
    extra_credentials: Mapping[str, str] | None = None,
) -> SandboxRun:
    """Build a hub on `clock` with a store of `slug` routed into a new sandbox of that plugin.

    `credentials` replaces the sandbox's own (to test rejection); `extra_credentials` are added to them.
    """
    clock = clock or VirtualClock()
    registry = registry if registry is not None else Registry.discover()
    record = registry.platform(slug)
    factory = record.impls.get("fusionhub_sandbox")
    if factory is None:
        raise LookupError(f"plugin {slug!r} has no fusionhub_sandbox hookimpl")
    sandbox: Sandbox = factory(clock=clock, options=dict(options or {}))
    store = Store(
        platform=slug,
        credentials=Credentials(
            {**(credentials if credentials is not None else sandbox.credentials()), **(extra_credentials or {})}
        ),
        config=sandbox.store_config(),
        name=f"{slug} sandbox",
    )
    hub = Hub(registry, clock=clock)
    wire = RecordingTransport(sandbox.transport())
    ctx = hub.connect(store, transport=wire)
    return SandboxRun(slug, registry, clock, sandbox, store, hub, wire, ctx)
