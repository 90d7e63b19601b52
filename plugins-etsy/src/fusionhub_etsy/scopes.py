"""OAuth scopes to request: the union over the capabilities a store enables (least privilege)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fusionhub.plugin import Capability, Level, PluginManifest

# Permanent delete (deleteListing) needs listings_d; it is requested only when the store allows it.
PERMANENT_DELETE_SCOPE = "listings_d"
PERMANENT_DELETE_FLAG = "allow_permanent_delete"


def scopes_for(
    manifest: PluginManifest,
    capabilities: Iterable[Capability | str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    wanted = [Capability(c) for c in capabilities] if capabilities is not None else list(Capability)
    scopes: dict[str, None] = {}
    for capability in wanted:
        contract = manifest.contract(capability)
        if contract.level is Level.UNSUPPORTED:
            continue
        scopes.update(dict.fromkeys(contract.scopes))
    if (config or {}).get(PERMANENT_DELETE_FLAG) and Capability.DELETE_PRODUCT in wanted:
        scopes[PERMANENT_DELETE_SCOPE] = None
    return sorted(scopes)
