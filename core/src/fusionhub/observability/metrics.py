"""Counters and latency per (plugin, capability), and the error-rate alarm over a sliding window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fusionhub.observability.records import Alert, CapabilityCall

_LATENCY_SAMPLES = 1024  # recent durations kept per capability for percentiles


@dataclass(slots=True)
class CallCounter:
    ok: int = 0
    failed: int = 0
    parked: int = 0  # calls that handed their work to child jobs: neither ok nor failed
    cached: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=_LATENCY_SAMPLES))
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, call: CapabilityCall, *, cached: bool = False) -> None:
        if call.ok:
            self.ok += 1
        elif call.parked:
            self.parked += 1
        else:
            self.failed += 1
            category = call.error_category or "unknown"
            self.errors[category] = self.errors.get(category, 0) + 1
        self.cached += cached
        self.total_ms += call.duration_ms
        self.max_ms = max(self.max_ms, call.duration_ms)
        self.recent.append(call.duration_ms)

    def summary(self) -> dict[str, Any]:
        calls = self.ok + self.failed + self.parked
        ordered = sorted(self.recent)

        def pct(q: float) -> float | None:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None

        return {
            "calls": calls,
            "ok": self.ok,
            "failed": self.failed,
            "parked": self.parked,
            "cached": self.cached,
            "errors": dict(self.errors),
            "mean_ms": self.total_ms / calls if calls else None,
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "max_ms": self.max_ms if calls else None,
        }


@dataclass(slots=True)
class ErrorRateMonitor:
    """Alerts once when a capability's error rate over `window` seconds reaches `threshold`.

    Needs `min_calls` calls in the window, so one failure out of one call is no alarm; alerts
    again only after the rate has fallen back below the threshold.
    """

    window: float = 300.0
    threshold: float = 0.5
    min_calls: int = 10
    _calls: dict[tuple[str, str], deque[tuple[float, bool]]] = field(default_factory=dict)
    _failed: dict[tuple[str, str], int] = field(default_factory=dict)  # failures now in the window
    _alerting: set[tuple[str, str]] = field(default_factory=set)

    def observe(self, plugin: str, capability: str, ok: bool, now: float) -> Alert | None:
        key = (plugin, capability)
        calls = self._calls.get(key)
        if calls is None:  # not setdefault: that would build a deque per call
            calls = self._calls[key] = deque()
        calls.append((now, ok))
        failed = self._failed.get(key, 0) + (not ok)
        while calls and calls[0][0] <= now - self.window:
            failed -= not calls.popleft()[1]
        self._failed[key] = failed
        rate = failed / len(calls)
        if len(calls) < self.min_calls or rate < self.threshold:
            if rate < self.threshold:
                self._alerting.discard(key)
            return None
        if key in self._alerting:
            return None
        self._alerting.add(key)
        return Alert(
            kind="error_rate",
            message=(
                f"{capability} on {plugin} failed {failed} of {len(calls)} calls in the last "
                f"{self.window:g}s ({rate:.0%}, threshold {self.threshold:.0%})"
            ),
            plugin=plugin,
            capability=capability,
            details={"failed": failed, "calls": len(calls), "rate": rate, "window": self.window},
        )
