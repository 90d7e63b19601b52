"""`stores check`: is a store reachable with its saved credentials? One cheap authenticated read.

The cheapest read a platform offers natively (a one-item page of products, else of orders) goes to
the platform itself, never the read cache, through the store's client with its rate limiter, so a
check also tells whether the credentials, the config and the network hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.context import RunMode
from fusionhub.contracts import Level, PluginManifest
from fusionhub.errors import FusionHubError
from fusionhub.host import Host

CHEAP_READS = (Capability.LIST_PRODUCTS, Capability.LIST_ORDERS)


@dataclass(frozen=True, slots=True)
class StoreCheck:
    store: str
    platform: str
    ok: bool
    capability: str | None
    duration_ms: float | None
    error_category: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cheapest_read(manifest: PluginManifest) -> Capability | None:
    """A one-item page the platform serves natively (a workaround may cost many calls)."""
    levels = [(manifest.contract(c).level, c) for c in CHEAP_READS]
    native = [c for level, c in levels if level is Level.NATIVE]
    supported = [c for level, c in levels if level is not Level.UNSUPPORTED]
    found = native or supported
    return found[0] if found else None


async def check_store(host: Host, ref: str) -> StoreCheck:
    """Call the store's platform once with its saved credentials; a refusal is the check's answer,
    not an exception (an unknown store still raises NotFound)."""
    record = await host.stores.get(ref)
    cap = cheapest_read(host.hub.manifest(record.platform))
    if cap is None:
        why = f"{record.platform} offers none of {', '.join(c.value for c in CHEAP_READS)} to check with"
        return StoreCheck(record.name, record.platform, False, None, None, "unsupported", why)
    try:
        ctx = await host.context(record.id)
        host.hub.cache.invalidate(record.id)  # the platform's answer, not a remembered one
        outcome = await host.hub.execute(ctx.store, cap, {"limit": 1}, mode=RunMode.INTERACTIVE)
    except FusionHubError as exc:
        return StoreCheck(record.name, record.platform, False, cap.value, None, exc.category.value, exc.user_message)
    return StoreCheck(record.name, record.platform, True, cap.value, round(outcome.duration_ms, 1))
