"""OAuth scopes to request: those of the capabilities a store enables (least privilege), plus listings_d if allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fusionhub.plugin import Capability, PluginManifest

# Permanent delete (deleteListing) needs listings_d; it is requested only when the store allows it.
PERMANENT_DELETE_SCOPE = "listings_d"
PERMANENT_DELETE_FLAG = "allow_permanent_delete"


def scopes_for(
    manifest: PluginManifest,
    capabilities: Iterable[Capability | str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    wanted = list(Capability) if capabilities is None else [Capability(c) for c in capabilities]
    extra = (
        [PERMANENT_DELETE_SCOPE]
        if (config or {}).get(PERMANENT_DELETE_FLAG) and Capability.DELETE_PRODUCT in wanted
        else []
    )
    return sorted({*manifest.scopes(wanted), *extra})
