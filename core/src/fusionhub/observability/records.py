"""What observers receive: one record per API call, per capability call, per alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusionhub.fastinit import builder, quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class ApiCall:
    plugin: str
    store_id: str
    capability: str | None
    method: str
    path: str  # path and query, secret values removed
    status: int | None
    duration_ms: float
    cost: float = 1.0
    bucket_level: float | None = None
    retries: int = 0
    error: str | None = None

    def fields(self) -> dict[str, Any]:
        """Every field by name, in order (a dict display: the API-call line is built from it per
        request; core/tests/test_observability_records.py keeps it equal to `dataclasses.asdict`)."""
        return {
            "plugin": self.plugin,
            "store_id": self.store_id,
            "capability": self.capability,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "cost": self.cost,
            "bucket_level": self.bucket_level,
            "retries": self.retries,
            "error": self.error,
        }


@quick_init
@dataclass(frozen=True, slots=True)
class CapabilityCall:
    plugin: str
    store_id: str
    capability: str
    level: str
    ok: bool
    duration_ms: float
    error_category: str | None = None
    mode: str = "interactive"
    parked: bool = False  # handed to child jobs, resumed later: neither ok nor an error


# Built per call: `ApiCall(...)` and `CapabilityCall(...)` without the type call (fusionhub.fastinit).
build_api_call = builder(ApiCall)
build_capability_call = builder(CapabilityCall)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # e.g. "error_rate"
    message: str
    plugin: str | None = None
    capability: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
