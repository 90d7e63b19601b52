"""What the hub does with each API call and capability call: log, count, alert, tell observers."""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from fusionhub.clock import Clock
from fusionhub.observability.logs import EventLog
from fusionhub.observability.metrics import CallCounter, ErrorRateMonitor
from fusionhub.observability.records import Alert, ApiCall, CapabilityCall

events = EventLog("fusionhub")


# A record class's field names and a getter of all their values: dataclasses.fields() is slow.
_NAMES: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _fields(record: ApiCall | CapabilityCall) -> dict[str, Any]:
    # A flat copy: dataclasses.asdict deep-copies, which costs more than the rest of the event.
    known = _NAMES.get(type(record))
    if known is None:
        names = tuple(f.name for f in fields(record))
        known = _NAMES[type(record)] = (names, operator.attrgetter(*names))  # records have several fields
    return dict(zip(known[0], known[1](record), strict=True))


@dataclass(slots=True)
class StoreTraffic:
    """API calls of one store as the transport saw them."""

    calls: int = 0
    failed: int = 0  # status >= 400 or no response
    retries: int = 0
    cost: float = 0.0
    bucket_level: float | None = None


@dataclass
class Observer:
    clock: Clock
    monitor: ErrorRateMonitor = field(default_factory=ErrorRateMonitor)
    on_api_call: Callable[[ApiCall], Any] | None = None
    on_capability_call: Callable[[CapabilityCall], Any] | None = None
    on_alert: Callable[[Alert], Any] | None = None
    counters: dict[tuple[str, str], CallCounter] = field(default_factory=dict)
    traffic: dict[str, StoreTraffic] = field(default_factory=dict)

    def api_call(self, call: ApiCall) -> None:
        traffic = self.traffic.get(call.store_id)
        if traffic is None:  # not setdefault: that would build a StoreTraffic per call
            traffic = self.traffic[call.store_id] = StoreTraffic()
        traffic.calls += 1
        traffic.failed += call.status is None or call.status >= 400
        traffic.retries += call.retries
        traffic.cost += call.cost
        traffic.bucket_level = call.bucket_level
        trouble = call.status is None or call.status >= 500 or call.status == 429
        events.emit(logging.WARNING if trouble else logging.INFO, "api_call", call.fields())
        self._tell(self.on_api_call, call)

    def capability_call(self, call: CapabilityCall, *, cached: bool = False) -> None:
        counter = self.counters.get((call.plugin, call.capability))
        if counter is None:
            counter = self.counters[(call.plugin, call.capability)] = CallCounter()
        counter.add(call, cached=cached)
        # Each API call already has its INFO line; a capability call adds one only when it failed.
        quiet = call.ok or call.parked
        level = logging.DEBUG if quiet else logging.WARNING
        if events.enabled(level):
            data = _fields(call)
            data["contract_level"] = data.pop("level")  # `level` is the log record's own
            data["cached"] = cached
            events.emit(level, "capability_call", data)
        self._tell(self.on_capability_call, call)
        if call.error_category == "rate_limit" or call.parked:
            return  # pacing by its own bucket, or waiting for child jobs: neither a success nor an error
        alert = self.monitor.observe(call.plugin, call.capability, call.ok, self.clock.now())
        if alert is not None:
            events.logger().warning("alert", alert_kind=alert.kind, alert=alert.message, plugin=alert.plugin)
            self._tell(self.on_alert, alert)

    def stats(self) -> dict[str, Any]:
        return {
            "capabilities": {
                f"{plugin}.{capability}": {"plugin": plugin, "capability": capability, **counter.summary()}
                for (plugin, capability), counter in sorted(self.counters.items())
            },
            "traffic": {store: asdict(t) for store, t in sorted(self.traffic.items())},
        }

    @staticmethod
    def _tell(hook: Callable[[Any], Any] | None, record: Any) -> None:
        # An observer plugin's failure must never fail the call it observes.
        if hook is None:
            return
        try:
            hook(record)
        except Exception as exc:
            events.logger().error("observer_failed", record=type(record).__name__, error=type(exc).__name__)
