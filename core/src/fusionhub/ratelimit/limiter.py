"""A store's rate limiter: acquire before each request, correct from what the server says."""

from __future__ import annotations

from dataclasses import dataclass, field

from fusionhub.clock import Clock
from fusionhub.contracts import RateLimitSpec
from fusionhub.errors import RateLimited
from fusionhub.ratelimit.bucket import TokenBucket
from fusionhub.ratelimit.shapes import shapes_for
from fusionhub.ratelimit.store import BucketShape, BucketStore, Charge


@dataclass(slots=True)
class LimiterStats:
    acquired: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    refused: int = 0
    throttled: int = 0  # the server said 429 / THROTTLED despite us


@dataclass
class Limiter:
    """One store's budget. Two stores never share a Limiter key, so never a budget."""

    store_key: str
    spec: RateLimitSpec | None
    store: BucketStore
    clock: Clock
    stats: LimiterStats = field(default_factory=LimiterStats)

    def shapes(self, operation: str | None = None, endpoint_class: str | None = None) -> list[BucketShape]:
        return shapes_for(self.store_key, self.spec, operation=operation, endpoint_class=endpoint_class)

    async def acquire(
        self,
        cost: float = 1.0,
        *,
        operation: str | None = None,
        endpoint_class: str | None = None,
        wait: bool = True,
    ) -> float:
        """Spend `cost` from every bucket this request is charged to; return seconds waited.

        With `wait=False` a full bucket raises `RateLimited(retry_after)` with the exact wait, which
        a worker turns into a re-scheduled job. With `wait=True` the caller sleeps exactly that long
        on the clock (never a busy loop) and tries again.
        """
        shapes = self.shapes(operation, endpoint_class)
        if not shapes:
            self.stats.acquired += 1
            return 0.0
        charges = [Charge(shape, cost) for shape in shapes]
        waited = 0.0
        while True:
            delay = await self.store.acquire(charges, self.clock.now())
            if delay == 0.0:
                self.stats.acquired += 1
                return waited
            if not wait:
                self.stats.refused += 1
                raise RateLimited(delay, details={"store": self.store_key, "operation": operation})
            self.stats.waits += 1
            self.stats.waited_seconds += delay
            waited += delay
            await self.clock.sleep(delay)

    async def correct(
        self,
        *,
        operation: str | None = None,
        tokens: float | None = None,
        capacity: float | None = None,
        refill_rate: float | None = None,
        refund: float = 0.0,
        bucket: int = 0,
    ) -> TokenBucket | None:
        """Set a bucket from the server's report (Shopify throttleStatus, Etsy/Amazon headers)."""
        shapes = self.shapes(operation)
        if not shapes:
            return None
        return await self.store.adjust(
            shapes[bucket],
            self.clock.now(),
            tokens=tokens,
            capacity=capacity,
            refill_rate=refill_rate,
            refund=refund,
        )

    async def level(self, operation: str | None = None) -> TokenBucket | None:
        shapes = self.shapes(operation)
        return await self.store.snapshot(shapes[0], self.clock.now()) if shapes else None
