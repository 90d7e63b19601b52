"""What a plugin's capability hook receives: the store, its HTTP client, its limiter, a clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from fusionhub.capabilities import Capability
from fusionhub.clock import Clock
from fusionhub.contracts import Constraints, PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.models import BulkResult
from fusionhub.ratelimit import Limiter
from fusionhub.stores import Store


class RunMode(StrEnum):
    INTERACTIVE = "interactive"  # a person asked for it
    AUTOMATED = "automated"  # a schedule, a worker, a workflow


# (capability, list of params dicts) -> aggregated result; the runtime's fan-out or the direct loop.
FanOut = Callable[[Capability, list[dict[str, Any]]], Awaitable[BulkResult]]
CredentialSaver = Callable[[Credentials], Awaitable[None]]


@dataclass
class StoreContext:
    store: Store
    manifest: PluginManifest
    http: httpx.AsyncClient
    limiter: Limiter
    clock: Clock
    mode: RunMode = RunMode.INTERACTIVE
    capability: Capability | None = None
    fan_out: FanOut | None = None
    save_credentials: CredentialSaver | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, Any]:
        return self.store.config

    @property
    def credentials(self) -> Credentials:
        return self.store.credentials

    def constraints(self) -> Constraints:
        if self.capability is None:
            return self.manifest.constraints
        return self.manifest.constraints_for(self.capability)

    def __repr__(self) -> str:
        return f"StoreContext(store={self.store!r}, capability={self.capability})"
