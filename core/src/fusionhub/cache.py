"""Per-store TTL cache of read capabilities (the specification's "cache platform data with TTL").

Keyed by (store, capability, params); a write capability on a store drops that store's
entries, so a read after a write never sees the state from before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pydantic

from fusionhub.capabilities import Capability
from fusionhub.clock import Clock


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    invalidations: int = 0


def cache_key(capability: Capability, params: pydantic.BaseModel) -> str:
    return f"{capability.value}:{json.dumps(params.model_dump(mode='json'), sort_keys=True, separators=(',', ':'))}"


def _copy(value: Any) -> Any:
    # Callers may change what they get back; the cached value must stay as the platform sent it.
    return value.model_copy(deep=True) if isinstance(value, pydantic.BaseModel) else value


@dataclass
class ReadCache:
    clock: Clock
    stats: CacheStats = field(default_factory=CacheStats)
    _entries: dict[str, dict[str, tuple[float, Any]]] = field(default_factory=dict)

    def get(self, store_id: str, capability: Capability, params: pydantic.BaseModel) -> tuple[bool, Any]:
        """(True, value) on a fresh hit, (False, None) otherwise."""
        entries = self._entries.get(store_id)
        key = cache_key(capability, params)
        entry = entries.get(key) if entries else None
        if entry is None or entry[0] <= self.clock.now():
            if entry is not None and entries is not None:
                del entries[key]
            self.stats.misses += 1
            return False, None
        self.stats.hits += 1
        return True, _copy(entry[1])

    def put(self, store_id: str, capability: Capability, params: pydantic.BaseModel, value: Any, ttl: float) -> None:
        if ttl > 0:
            key = cache_key(capability, params)
            self._entries.setdefault(store_id, {})[key] = (self.clock.now() + ttl, _copy(value))

    def invalidate(self, store_id: str) -> None:
        if self._entries.pop(store_id, None):
            self.stats.invalidations += 1

    def __len__(self) -> int:
        return sum(len(e) for e in self._entries.values())
