"""The contract every plugin's sandbox keeps: an in-process, stateful fake of its platform.

Sandboxes serve the plugin's tests, the conformance kit, `fusionhub demo` and benchmarks.
They speak the platform's real wire format and enforce its real rate-limit semantics on the
clock they are given, so virtual time drives them as it drives the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SignedDelivery:
    """A webhook delivery as the platform would send it to a store of the sandbox: its headers,
    its exact raw body and (for platforms that put a secret in the callback URL) the path and
    query it is posted to."""

    headers: dict[str, str]
    body: bytes
    url: str | None = field(default=None)


@runtime_checkable
class SignsDeliveries(Protocol):
    """Optional: a sandbox of a platform with webhooks offers one, so the conformance kit can check
    that `fusionhub_parse_webhook` yields events from a good delivery and raises AuthError on a
    forged (another secret) or tampered (another body) one."""

    def signed_delivery(self) -> SignedDelivery:
        """A delivery of an event the platform sends, signed for the sandbox store's credentials."""
        ...
