"""A store's rate limiter: acquire before each request, correct from what the server says."""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from fusionhub.clock import Clock
from fusionhub.contracts import RateLimitSpec
from fusionhub.errors import RateLimited
from fusionhub.ratelimit import admission, inflight
from fusionhub.ratelimit.bucket import TokenBucket
from fusionhub.ratelimit.shapes import shapes_for
from fusionhub.ratelimit.store import BucketShape, BucketStore, Charge, MemoryBucketStore

# Sleep this much past the computed instant: float rounding must never make a request land a
# hair early at the edge of a platform's window (a microsecond per wait costs nothing measurable).
WAIT_GUARD = 1e-6
_MAX_CHARGES = 256


class BucketRefused(RateLimited):
    """The store's own bucket refused a worker's call before anything was sent: `retry_after` is exact."""


@dataclass(slots=True)
class LimiterStats:
    acquired: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    refused: int = 0
    throttled: int = 0  # the server said 429 / THROTTLED despite us
    corrections: int = 0  # times the server's report reset a bucket


@dataclass(frozen=True, slots=True)
class Simulation:
    """A temporary, lower limit charged on top of the real one (`simulate_rate_limit`)."""

    spec: RateLimitSpec
    until: float


@dataclass
class Limiter:
    """One store's budget. `store_key` names its buckets: the store's own, or one its credentials
    share with other stores when the platform counts per credential (the spec's `scope`,
    `fusionhub.ratelimit.scope`)."""

    store_key: str
    spec: RateLimitSpec | None
    store: BucketStore
    clock: Clock
    stats: LimiterStats = field(default_factory=LimiterStats)
    simulation: Simulation | None = None
    # Waiters line up per set of buckets (per event loop): one sleeps for the next tokens while the
    # rest queue behind it in arrival order, instead of all waking at once to fight for one token.
    _lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, ...], asyncio.Lock]] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )
    _shapes: dict[tuple[str, str | None, str | None], tuple[RateLimitSpec | None, tuple[BucketShape, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # The size and rate a server last reported per bucket and this limiter wrote: a platform that
    # repeats its limit on every response then costs no write for it on a shared store.
    _reported: dict[str, tuple[float | None, float | None]] = field(default_factory=dict, repr=False, compare=False)
    # Acquires waiting in or holding one of the lines: while 0, no line is locked.
    _queued: int = field(default=0, repr=False, compare=False)
    # A request kind's charges at a cost (no simulation running): a Charge per bucket is not rebuilt per request.
    _charges: dict[tuple[str, str | None, str | None, float], tuple[RateLimitSpec | None, tuple[Charge, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _line(self, charges: Sequence[Charge]) -> asyncio.Lock:
        lines = self._lines.setdefault(asyncio.get_running_loop(), {})
        key = tuple(charge.shape.key for charge in charges)
        line = lines.get(key)
        if line is None:
            line = lines[key] = asyncio.Lock()
        return line

    def shapes(self, operation: str | None = None, endpoint_class: str | None = None) -> list[BucketShape]:
        # The same request kind spends from the same buckets: derived once per (key, spec, kind).
        memo_key = (self.store_key, operation, endpoint_class)
        known = self._shapes.get(memo_key)
        if known is None or known[0] is not self.spec:
            known = self._shapes[memo_key] = (
                self.spec,
                tuple(shapes_for(self.store_key, self.spec, operation=operation, endpoint_class=endpoint_class)),
            )
        shapes = list(known[1])
        sim = self.simulation
        if sim is not None:
            if self.clock.now() < sim.until:
                # Separate keys: the real buckets keep counting what the platform really sees.
                key = f"{self.store_key}:simulated"
                shapes += shapes_for(key, sim.spec, operation=operation, endpoint_class=endpoint_class)
            else:
                self.simulation = None
        return shapes

    def charges(self, cost: float, operation: str | None = None, endpoint_class: str | None = None) -> Sequence[Charge]:
        """What a request of this kind at `cost` spends: one charge per bucket (`shapes`)."""
        if self.simulation is not None:
            return [Charge(shape, cost) for shape in self.shapes(operation, endpoint_class)]
        memo_key = (self.store_key, operation, endpoint_class, cost)
        known = self._charges.get(memo_key)
        if known is None or known[0] is not self.spec:
            if len(self._charges) >= _MAX_CHARGES:  # costs vary per request on some platforms: bounded
                self._charges.clear()
            charges = tuple(Charge(shape, cost) for shape in self.shapes(operation, endpoint_class))
            known = self._charges[memo_key] = (self.spec, charges)
        return known[1]

    def memory_store(self) -> MemoryBucketStore | None:
        """The store when it is this process's memory store (its steps need no await), else None."""
        store = self.store
        return store if type(store) is MemoryBucketStore else None

    def acquired_now(self, cost: float = 1.0, operation: str | None = None, endpoint_class: str | None = None) -> bool:
        """Spend `cost` at once, without a coroutine, when the buckets are this process's memory store,
        nobody of this limiter is waiting and the tokens are there (True). False: nothing was spent,
        and `acquire` decides (wait, refuse, or the shared store)."""
        memory = self.memory_store()
        if memory is None or self._queued:
            return False
        charges = self.charges(cost, operation, endpoint_class)
        if charges and memory.acquire_now(charges, self.clock.now()) != 0.0:
            return False  # a failed try spends nothing: `acquire` asks again and waits or refuses
        self.stats.acquired += 1
        return True

    async def acquire(
        self,
        cost: float = 1.0,
        *,
        operation: str | None = None,
        endpoint_class: str | None = None,
        wait: bool | None = None,
    ) -> float:
        """Spend `cost` from every bucket this request is charged to; return seconds waited.

        With `wait=False` a full bucket raises `RateLimited(retry_after)` with the exact wait, which
        a worker turns into a re-scheduled job, unless the tokens come within the task's
        `admission.patience()`: then it waits as with `wait=True`, the caller sleeping exactly
        that long on the clock (never a busy loop) and trying again. Unset: admission decides — only a
        worker's first request of a capability call is refused (`fusionhub.ratelimit.admission`).
        """
        if wait is None:
            wait = not admission.refusable()
        charges = self.charges(cost, operation, endpoint_class)
        if not charges:
            self.stats.acquired += 1
            return 0.0
        # A refusable request waits for tokens only while they come within the task's patience.
        patience = None if wait else admission.patience()
        delay: float | None = None  # the wait the store last answered, not yet slept
        # Nobody in any line of this limiter (the usual case): no line to look up, try at once.
        line = self._line(charges) if wait and self._queued else None
        if line is None or not line.locked():  # nobody is waiting ahead of us: try at once
            memory = self.memory_store()
            now = self.clock.now()
            if memory is not None:
                delay = memory.acquire_now(charges, now)
            elif (ahead := getattr(self.store, "acquire_ahead", None)) is not None:
                return await self._spend_ahead(ahead, charges, patience, operation)
            else:
                delay = await self.store.acquire(charges, now)
            if delay == 0.0:
                self.stats.acquired += 1
                return 0.0
            if patience is not None and delay > patience:
                raise self._refused(delay, operation)
        waited = 0.0
        if line is None:
            line = self._line(charges)
        self._queued += 1
        try:
            async with line:
                while True:
                    if delay is None:
                        delay = await self.store.acquire(charges, self.clock.now())
                        if delay == 0.0:
                            self.stats.acquired += 1
                            return waited
                        if patience is not None and waited + delay > patience:
                            raise self._refused(delay, operation)
                    delay += WAIT_GUARD
                    self.stats.waits += 1
                    self.stats.waited_seconds += delay
                    waited += delay
                    await self.clock.sleep(delay)
                    delay = None
        finally:
            self._queued -= 1

    async def _spend_ahead(
        self,
        ahead: Callable[[Sequence[Charge], float, float], Awaitable[tuple[float, bool]]],
        charges: Sequence[Charge],
        patience: float | None,
        operation: str | None,
    ) -> float:
        """A shared store that spends ahead (`BucketStore`'s optional `acquire_ahead`): one step
        takes the tokens, now or within the wait this request may take (its patience, or any), and
        the request sleeps until they are due; callers after it see them promised and queue behind
        it, with no line in this process. A request cancelled in its sleep leaves its tokens spent:
        the store's budget runs short by one request, never over."""
        delay, spent = await ahead(charges, self.clock.now(), math.inf if patience is None else patience)
        if not spent:
            raise self._refused(delay, operation)
        self.stats.acquired += 1
        if delay == 0.0:
            return 0.0
        delay += WAIT_GUARD
        self.stats.waits += 1
        self.stats.waited_seconds += delay
        await self.clock.sleep(delay)
        return delay

    def _refused(self, delay: float, operation: str | None) -> BucketRefused:
        self.stats.refused += 1
        # The guard here too: a job re-scheduled at the exact instant can land a hair early.
        return BucketRefused(delay + WAIT_GUARD, details={"store": self.store_key, "operation": operation})

    async def correct(
        self,
        *,
        operation: str | None = None,
        tokens: float | None = None,
        capacity: float | None = None,
        refill_rate: float | None = None,
        refund: float = 0.0,
        at_most: float | None = None,
        bucket: int | str = 0,
    ) -> TokenBucket | None:
        """Set a bucket from the server's report (a cost status in the body, rate headers).

        `bucket` is an index into `shapes(operation)` or the name a shape's key ends with
        ("cost", "window", "day", "op:<operation>", "class:<name>"). Unknown names: no bucket.
        `at_most` lowers the level to what the server says is left, never raises it; with the
        other fields, one step of the store (one transaction on a database). Returns the bucket's
        state after, except for a lone `at_most` (`lower`, which reads nothing back: None).
        """
        shape = self.shape(bucket, operation)
        if shape is None:
            return None
        shared = not getattr(self.store, "local", False)
        if shared and (capacity is not None or refill_rate is not None):
            if self._reported.get(shape.key) == (capacity, refill_rate):
                capacity = refill_rate = None  # written already: the same report again changes nothing
            else:
                self._reported[shape.key] = (capacity, refill_rate)
        if tokens is not None or capacity is not None or refill_rate is not None:
            self.stats.corrections += 1
        elif at_most is not None and not refund:  # only a level to lower to: `lower`'s one step
            await self._lower([(shape, at_most)])
            return None
        state = await self.store.adjust(
            shape,
            self.clock.now(),
            tokens=tokens,
            capacity=capacity,
            refill_rate=refill_rate,
            refund=refund,
            at_most=at_most,
        )
        only_lowered = tokens is None and capacity is None and refill_rate is None
        if only_lowered and at_most is not None and state.tokens <= at_most + refund:  # the report held it down
            self.stats.corrections += 1
        return state

    def already_reported(
        self, bucket: int | str, capacity: float | None, refill_rate: float | None, operation: str | None = None
    ) -> bool:
        """Whether a report's size and rate for `bucket` would change nothing: neither given, or, on a
        database store, the very ones this limiter last wrote (`correct` writes each new report)."""
        if capacity is None and refill_rate is None:
            return True
        shape = self.shape(bucket, operation)
        if shape is None:
            return True
        local = getattr(self.store, "local", False)
        return not local and self._reported.get(shape.key) == (capacity, refill_rate)

    async def lower(self, levels: Mapping[int | str, float], *, operation: str | None = None) -> int:
        """Lower each bucket (named as in `correct`; unknown names skipped) to the level the server
        reported, where ours is higher; never raise one. One step of the store for them all: on a
        database one statement, which writes nothing when no level is higher (the usual report).
        Returns how many were lowered."""
        shapes = []
        for bucket, at_most in levels.items():
            shape = self.shape(bucket, operation)
            if shape is not None:
                shapes.append((shape, at_most))
        return await self._lower(shapes) if shapes else 0

    async def _lower(self, levels: Sequence[tuple[BucketShape, float]]) -> int:
        lowered = await self.store.lower(levels, self.clock.now())
        self.stats.corrections += lowered
        return lowered

    def shape(self, bucket: int | str = 0, operation: str | None = None) -> BucketShape | None:
        shapes = shapes_for(self.store_key, self.spec, operation=operation)
        if isinstance(bucket, int):
            return shapes[bucket] if bucket < len(shapes) else None
        return next((s for s in shapes if s.key.endswith(f":{bucket}")), None)

    @property
    def in_flight(self) -> float:
        """Cost of this store's requests sent and not yet answered (`fusionhub.ratelimit.inflight`)."""
        return inflight.in_flight(self.store_key)

    def throttled(self) -> None:
        """The platform refused a request for its rate limit (429, THROTTLED)."""
        self.stats.throttled += 1

    async def level(self, operation: str | None = None) -> TokenBucket | None:
        shapes = self.shapes(operation)
        return await self.store.snapshot(shapes[0], self.clock.now()) if shapes else None

    def memory_level(self, operation: str | None = None) -> float | None:
        """`level(operation).tokens` read without an await from a memory store (None: no bucket, or
        another store: `level` reads it)."""
        memory = self.memory_store()
        if memory is None:
            return None
        charges = self.charges(1.0, operation)
        return memory.tokens_now(charges[0].shape, self.clock.now()) if charges else None

    async def report(self, operation: str | None = None) -> dict[str, Any]:
        """Rate-limit consumption for hosts: counters plus the level of each bucket now."""
        now = self.clock.now()
        buckets = {}
        for shape in self.shapes(operation):
            state = await self.store.snapshot(shape, now)
            name = shape.key.removeprefix(f"{self.store_key}:")
            buckets[name] = {"tokens": state.tokens, "capacity": state.capacity, "refill_rate": state.refill_rate}
        return {
            **asdict(self.stats),
            "buckets": buckets,
            "simulated_until": self.simulation.until if self.simulation else None,
        }
