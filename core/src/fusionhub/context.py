"""What a plugin's capability hook receives: the store, its HTTP client, its limiter, a clock.

Two typed places for what is not the store's record:

- `ctx.state(Kind)`: the store's instance of a state class the plugin declares (a dataclass whose
  fields all have defaults), made on first use and kept while the host keeps the store connected
  (reconnects included): facts learnt once per store (the shop's currency), parsed settings.
- `ctx.outbound()`: a client for hosts outside the platform's API (image downloads, signed
  URLs) that carries no store credentials and spends no store budget; `outbound_transport`
  routes it (a sandbox's or a test's transport; None: the network).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

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
S = TypeVar("S")


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
    outbound_transport: httpx.AsyncBaseTransport | None = None
    # Per-store plugin state by class; read it through `state(Kind)`. Shared by a call's context.
    states: dict[type, Any] = field(default_factory=dict)
    # The call's identity across runs: a job's key (the same when the job is run again), else the
    # caller's idempotency_key, else new per call. `rerun`: an earlier run of this very call may
    # have reached the platform (a worker died, a response was lost).
    call_key: str = ""
    rerun: bool = False

    def for_call(
        self, mode: RunMode, capability: Capability, *, call_key: str = "", rerun: bool = False
    ) -> StoreContext:
        """This store's context for one capability call (a shallow copy: it shares the client,
        limiter and state). Copied field by field without `dataclasses.replace`: it runs per call."""
        call = object.__new__(StoreContext)
        call.__dict__.update(self.__dict__)
        call.mode, call.capability, call.call_key, call.rerun = mode, capability, call_key, rerun
        return call

    def idempotency_key(self, *parts: str | int) -> str:
        """The key a platform de-duplicates this call's write by: the same on every run of the call,
        another for any other call or store. `parts` tell a call's several writes apart (a batch, an
        item). UUID-shaped, as platforms recommend."""
        if not self.call_key:
            raise RuntimeError("idempotency_key() is for a capability call's context (Hub.execute makes one)")
        text = "\x1f".join((self.store.id, self.call_key, *map(str, parts)))
        return str(uuid.UUID(hex=hashlib.sha256(text.encode()).hexdigest()[:32], version=4))

    def state(self, kind: type[S]) -> S:
        """The store's `kind` instance (made with `kind()` on first use)."""
        value = self.states.get(kind)
        if not isinstance(value, kind):
            value = self.states[kind] = kind()
        return value

    def outbound(self, *, timeout: float = 30.0, follow_redirects: bool = True) -> httpx.AsyncClient:
        """A plain client for other hosts: no store auth, headers or buckets (close it: `async with`)."""
        return httpx.AsyncClient(transport=self.outbound_transport, timeout=timeout, follow_redirects=follow_redirects)

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
