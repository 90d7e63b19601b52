"""One clock for buckets, retries, polling and sandboxes: the system's, or a virtual one.

Under `VirtualClock.run(...)` the event loop itself runs on virtual time: whenever no
task is ready, time jumps to the next timer. Hours of rate-limited traffic against an
in-process sandbox then take milliseconds, and every run is deterministic.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (shared meaning across processes)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


def utcnow(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class VirtualClock:
    """Time that moves only when told to (`advance`) or when its event loop is idle."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.start = float(start)
        self.elapsed = 0.0  # kept apart from `start` so small steps keep their precision
        self.slept = 0.0  # total virtual seconds spent waiting, for reports

    def now(self) -> float:
        return self.start + self.elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self.elapsed += seconds

    def _jump_to(self, loop_time: float) -> None:
        self.elapsed = max(self.elapsed, loop_time)

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        if not (isinstance(loop, VirtualTimeLoop) and loop.clock is self):
            raise RuntimeError("VirtualClock.sleep needs the clock's own event loop: run the code with clock.run(coro)")
        self.slept += max(0.0, seconds)
        await asyncio.sleep(max(0.0, seconds))

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run `main` to completion on an event loop driven by this clock."""
        loop = VirtualTimeLoop(self)
        try:
            return loop.run_until_complete(main)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return VirtualTimeLoop(self)

    def __repr__(self) -> str:
        return f"VirtualClock(elapsed={self.elapsed:.3f})"


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose `time()` is a VirtualClock; idle periods are skipped."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(selectors.DefaultSelector())
        self.clock = clock

    def time(self) -> float:
        # Relative to the clock's start: epoch-sized floats are too coarse for the loop's resolution.
        return self.clock.elapsed

    def _run_once(self) -> None:
        # Nothing ready but timers pending: jump to the earliest timer instead of waiting.
        scheduled = self._scheduled  # type: ignore[attr-defined]
        if not self._ready and scheduled:  # type: ignore[attr-defined]
            self.clock._jump_to(scheduled[0]._when)
        super()._run_once()  # type: ignore[misc]
