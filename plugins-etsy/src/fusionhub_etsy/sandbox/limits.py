"""The fake's rate limits on its clock: QPS as a bucket of `qps` tokens, QPD as a 24 h sliding window.

How Etsy counts a second exactly is not published; a bucket of `qps` tokens never refuses a
client that keeps to `qps` requests per second, evenly or in bursts of up to `qps`.
"""

from __future__ import annotations

import math
from collections import deque

DAY = 86_400.0


class Limits:
    def __init__(self, qps: int, qpd: int, now: float) -> None:
        self.qps, self.qpd = qps, qpd
        self.tokens = float(qps)
        self.updated = now
        self.day: deque[float] = deque()

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.qps), self.tokens + (now - self.updated) * self.qps)
        self.updated = max(self.updated, now)
        while self.day and self.day[0] <= now - DAY:
            self.day.popleft()

    def take(self, now: float) -> float:
        """Count one request and return 0, or refuse it and return the seconds until one would pass."""
        self._refill(now)
        if len(self.day) >= self.qpd:
            return self.day[0] + DAY - now
        if self.tokens < 1.0 - 1e-9:
            return (1.0 - self.tokens) / self.qps
        self.tokens -= 1.0
        self.day.append(now)
        return 0.0

    def headers(self) -> dict[str, str]:
        return {
            "x-limit-per-second": str(self.qps),
            "x-remaining-this-second": str(max(0, math.floor(self.tokens + 1e-9))),
            "x-limit-per-day": str(self.qpd),
            "x-remaining-today": str(max(0, self.qpd - len(self.day))),
        }
