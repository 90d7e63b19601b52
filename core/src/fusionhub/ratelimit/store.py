"""Where bucket state lives. Memory here; the database store keeps the same contract.

The contract a store must keep: `acquire` refills, checks and spends across all the named
buckets as one atomic step (all or nothing), so concurrent callers never overspend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fusionhub.ratelimit.bucket import TokenBucket


@dataclass(frozen=True, slots=True)
class BucketShape:
    """A bucket's definition: its key (store, name) and size."""

    key: str
    capacity: float
    refill_rate: float


@dataclass(frozen=True, slots=True)
class Charge:
    shape: BucketShape
    cost: float


class BucketStore(Protocol):
    """Where a limiter's buckets live.

    A store whose every look costs a round trip may also offer
    `async acquire_ahead(charges, now, within) -> (wait, spent)`: spend every charge if each bucket
    holds it now or within `within` seconds (levels go below zero; the caller sleeps the wait
    before it sends), else spend none. `Limiter` then asks once per request instead of asking,
    sleeping and asking again (`PgBucketStore` does).
    """

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        """Spend every charge and return 0, or spend none and return the longest wait."""
        ...

    async def adjust(
        self,
        shape: BucketShape,
        now: float,
        *,
        tokens: float | None = None,
        capacity: float | None = None,
        refill_rate: float | None = None,
        refund: float = 0.0,
        at_most: float | None = None,
    ) -> TokenBucket:
        """Correct a bucket from what the server reported, or give back unused tokens.

        `tokens` sets the level; `at_most` lowers it to that if it is higher (never raises it),
        read and written in one step so a concurrent spend is not lost between the two.
        """
        ...

    async def lower(self, levels: Sequence[tuple[BucketShape, float]], now: float) -> int:
        """Lower each bucket to at most its level if it is higher now (never raise one), all in one
        step; a bucket not there yet is created full, then lowered. How many were lowered.

        The usual report after a response changes nothing: a database store then writes nothing.
        """
        ...

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        """The bucket's state now (created full if unknown)."""
        ...


class MemoryBucketStore:
    """Buckets in this process, on one event loop.

    No lock: nothing awaits between a bucket's check and its spend, and coroutines of one event
    loop interleave only at an await, so each step below runs whole before another starts (an
    asyncio.Lock around them would only cost time). The `*_now` methods are the same steps for
    callers that know the store is this one (`Limiter`), without a coroutine per step.
    """

    # Reading a bucket costs nothing here, so every API-call record carries the level after it.
    # A shared (database) store leaves this unset: a read per request is not worth a log field.
    local = True

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def _bucket(self, shape: BucketShape, now: float) -> TokenBucket:
        bucket = self._buckets.get(shape.key)
        if bucket is None:
            bucket = self._buckets[shape.key] = TokenBucket.full(shape.capacity, shape.refill_rate, now)
        return bucket

    def acquire_now(self, charges: Sequence[Charge], now: float) -> float:
        """`acquire`, synchronously."""
        if len(charges) == 1:  # the usual request: one bucket
            charge = charges[0]
            return self._bucket(charge.shape, now).try_spend(charge.cost, now)
        buckets = [(self._bucket(c.shape, now), c.cost) for c in charges]
        for bucket, _ in buckets:
            bucket.refill(now)
        wait = max((b.wait_for(cost) for b, cost in buckets), default=0.0)
        if wait == 0.0:
            for bucket, cost in buckets:
                bucket.tokens -= cost
        return wait

    def tokens_now(self, shape: BucketShape, now: float) -> float:
        """The bucket's level now (`snapshot(...).tokens`), synchronously."""
        bucket = self._bucket(shape, now)
        bucket.refill(now)
        return bucket.tokens

    async def acquire(self, charges: Sequence[Charge], now: float) -> float:
        return self.acquire_now(charges, now)

    async def adjust(
        self,
        shape: BucketShape,
        now: float,
        *,
        tokens: float | None = None,
        capacity: float | None = None,
        refill_rate: float | None = None,
        refund: float = 0.0,
        at_most: float | None = None,
    ) -> TokenBucket:
        bucket = self._bucket(shape, now)
        bucket.refill(now)
        if capacity is not None:
            bucket.capacity = capacity
        if refill_rate is not None:
            bucket.refill_rate = refill_rate
        if tokens is not None:
            bucket.tokens = tokens
        if at_most is not None:
            bucket.tokens = min(bucket.tokens, at_most)
        bucket.tokens = min(bucket.capacity, bucket.tokens + refund)
        return TokenBucket(bucket.capacity, bucket.refill_rate, bucket.tokens, bucket.last_refill)

    async def lower(self, levels: Sequence[tuple[BucketShape, float]], now: float) -> int:
        lowered = 0
        for shape, at_most in levels:
            bucket = self._bucket(shape, now)
            bucket.refill(now)
            if bucket.tokens > at_most:
                bucket.tokens = at_most
                lowered += 1
        return lowered

    async def snapshot(self, shape: BucketShape, now: float) -> TokenBucket:
        bucket = self._bucket(shape, now)
        bucket.refill(now)
        return TokenBucket(bucket.capacity, bucket.refill_rate, bucket.tokens, bucket.last_refill)
