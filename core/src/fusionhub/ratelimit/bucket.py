"""The token bucket of the specification: tokens, capacity, refill rate, last refill."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill_rate: float  # tokens per second
    tokens: float
    last_refill: float  # clock seconds

    @classmethod
    def full(cls, capacity: float, refill_rate: float, now: float) -> TokenBucket:
        return cls(capacity=capacity, refill_rate=refill_rate, tokens=capacity, last_refill=now)

    def refill(self, now: float) -> None:
        elapsed = now - self.last_refill
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_rate)
            self.last_refill = now

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` tokens are there (0 when they already are). Call after `refill`."""
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds the bucket's capacity {self.capacity}: it can never fit")
        missing = cost - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.refill_rate

    def try_spend(self, cost: float, now: float) -> float:
        """Refill, then spend `cost` and return 0, or spend nothing and return the exact wait."""
        self.refill(now)
        wait = self.wait_for(cost)
        if wait == 0.0:
            self.tokens -= cost
        return wait
