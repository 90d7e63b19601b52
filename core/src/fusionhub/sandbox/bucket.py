"""A sandbox's rate limit: windows per key, refusals with the platform's own headers.

The plugin gives the shape (named windows, created full for each new key), what the platform
keys its limits by (the shop, the API key, the token: a function of the request), the headers it
reports its limits in, and its refusal (default: 429 with Retry-After). A request is admitted when
every window of its key holds its cost, and then spends from all of them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

import httpx

from fusionhub.clock import Clock
from fusionhub.ratelimit.bucket import TokenBucket


class Window(Protocol):
    """One limit the platform enforces on a key."""

    @property
    def limit(self) -> float:
        """The most the window holds."""
        ...

    @property
    def remaining(self) -> float:
        """What is left, as of the window's last `wait`."""
        ...

    def wait(self, now: float, cost: float) -> float:
        """Seconds until `cost` fits (0: it fits now); brings the window up to `now`."""
        ...

    def spend(self, now: float, cost: float) -> None: ...

    def refund(self, now: float, cost: float) -> None: ...


class TokenWindow(TokenBucket):
    """A token bucket (`capacity`, refilled at `refill_rate` per second); `tokens` is what remains."""

    __slots__ = ()

    @classmethod
    def full(cls, capacity: float, refill_rate: float, now: float) -> TokenWindow:
        return cls(capacity=capacity, refill_rate=refill_rate, tokens=capacity, last_refill=now)

    @property
    def limit(self) -> float:
        return self.capacity

    @property
    def remaining(self) -> float:
        return self.tokens

    def wait(self, now: float, cost: float) -> float:
        self.refill(now)
        return math.inf if cost > self.capacity else self.wait_for(cost)

    def spend(self, now: float, cost: float) -> None:
        self.tokens = max(0.0, self.tokens - cost)  # float dust from virtual time is not a debt

    def refund(self, now: float, cost: float) -> None:
        self.tokens = min(self.capacity, self.tokens + cost)


class SlidingWindow:
    """At most `limit` spent in any `seconds` (a sliding log of what was spent when)."""

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.log: deque[tuple[float, float]] = deque()
        self.spent = 0.0

    def _expire(self, now: float) -> None:
        while self.log and self.log[0][0] <= now - self.seconds:
            self.spent -= self.log.popleft()[1]

    @property
    def remaining(self) -> float:
        return self.limit - self.spent

    def wait(self, now: float, cost: float) -> float:
        self._expire(now)
        if cost > self.limit:
            return math.inf
        freed, waited = self.remaining, 0.0
        for at, spent in self.log:  # the oldest spends leave first
            if freed >= cost:
                break
            freed, waited = freed + spent, at + self.seconds - now
        return waited

    def spend(self, now: float, cost: float) -> None:
        self.log.append((now, cost))
        self.spent += cost

    def refund(self, now: float, cost: float) -> None:
        self.spent = max(0.0, self.spent - cost)


W = TypeVar("W", bound=Window)
Shape = Callable[[float], Mapping[str, W]]
"""Fresh, full windows for a new key at clock time `now`, by name."""
Headers = Callable[[Mapping[str, W]], dict[str, str]]
Refusal = Callable[[float], httpx.Response]


def too_many_requests(wait: float) -> httpx.Response:
    return httpx.Response(429, text="Too Many Requests", headers={"Retry-After": f"{wait:.3f}"})


class SandboxBucket(Generic[W]):
    """The platform's limits per key on the sandbox's clock; `throttled` counts the refusals."""

    def __init__(
        self,
        clock: Clock,
        shape: Shape[W],
        *,
        key: Callable[[httpx.Request], str] = lambda request: "",
        headers: Headers[W] = lambda windows: {},
        refusal: Refusal = too_many_requests,
    ) -> None:
        self.clock, self.shape, self.key, self.report, self.refusal = clock, shape, key, headers, refusal
        self.keys: dict[str, Mapping[str, W]] = {}
        self.throttled = 0

    def windows(self, key: str) -> Mapping[str, W]:
        """The windows of `key` (created full on first use)."""
        if key not in self.keys:
            self.keys[key] = self.shape(self.clock.now())
        return self.keys[key]

    def take(self, request: httpx.Request, cost: float = 1.0) -> float:
        """Spend `cost` from every window of the request's key and return 0, or refuse: the wait."""
        now, windows = self.clock.now(), self.windows(self.key(request)).values()
        wait = max((w.wait(now, cost) for w in windows), default=0.0)
        if wait > 0:
            self.throttled += 1
            return wait
        for window in windows:
            window.spend(now, cost)
        return 0.0

    def refund(self, request: httpx.Request, cost: float) -> None:
        now = self.clock.now()
        for window in self.windows(self.key(request)).values():
            window.refund(now, cost)

    def headers(self, request: httpx.Request) -> dict[str, str]:
        """The platform's rate-limit headers for the request's key, as they stand."""
        return self.report(self.windows(self.key(request)))

    def admit(self, request: httpx.Request, cost: float = 1.0) -> httpx.Response | None:
        """None when the request may pass; else the platform's refusal carrying its headers."""
        wait = self.take(request, cost)
        if wait == 0:
            return None
        response = self.refusal(wait)
        response.headers.update(self.headers(request))
        return response
