"""The contract every plugin's sandbox keeps: an in-process, stateful fake of its platform.

Sandboxes serve the plugin's tests, the conformance kit, `fusionhub demo` and benchmarks.
They speak the platform's real wire format and enforce its real rate-limit semantics on the
clock they are given, so virtual time drives them as it drives the core.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import httpx

from fusionhub.capabilities import Capability
from fusionhub.clock import Clock


@runtime_checkable
class Sandbox(Protocol):
    slug: str
    clock: Clock

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request received, in order (what the conformance kit counts)."""
        ...

    @property
    def throttled(self) -> int:
        """How many requests the fake refused for going over its rate limit."""
        ...

    def transport(self) -> httpx.AsyncBaseTransport:
        """The transport that routes a store's client into this fake."""
        ...

    def credentials(self) -> dict[str, str]:
        """Credentials the fake accepts."""
        ...

    def store_config(self) -> dict[str, Any]:
        """A store config pointing at this fake."""
        ...

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        """Params that succeed against the fake's current state, or None if none exist."""
        ...


class SandboxFactory(Protocol):
    def __call__(self, clock: Clock, **options: Any) -> Sandbox: ...
