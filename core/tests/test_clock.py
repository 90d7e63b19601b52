"""The virtual clock: idle time is skipped, order is kept, runs are deterministic."""

from __future__ import annotations

import asyncio

import pytest

from fusionhub.clock import SystemClock, VirtualClock, utcnow


def test_idle_time_is_skipped_and_counted(virtual_clock: VirtualClock) -> None:
    start = virtual_clock.now()

    async def main() -> None:
        await virtual_clock.sleep(3600)
        await asyncio.sleep(1.5)  # the loop's own timers run on the same virtual time

    virtual_clock.run(main())
    assert virtual_clock.now() - start == pytest.approx(3601.5)
    assert virtual_clock.slept == pytest.approx(3600)


def test_timers_fire_in_order_and_runs_repeat_exactly() -> None:
    def run() -> list[tuple[str, float]]:
        clock = VirtualClock(start=0.0)
        seen: list[tuple[str, float]] = []

        async def task(name: str, delay: float) -> None:
            await clock.sleep(delay)
            seen.append((name, clock.now()))

        async def main() -> None:
            await asyncio.gather(task("c", 3.0), task("a", 1.0), task("b", 2.0))

        clock.run(main())
        return seen

    first = run()
    assert first == [("a", 1.0), ("b", 2.0), ("c", 3.0)]
    assert run() == first


def test_virtual_sleep_outside_its_loop_is_refused() -> None:
    clock = VirtualClock()
    with pytest.raises(RuntimeError, match=r"clock\.run"):
        asyncio.run(clock.sleep(1))


def test_advance_moves_forward_only() -> None:
    clock = VirtualClock(start=100.0)
    clock.advance(5)
    assert clock.now() == 105.0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_system_clock_is_epoch_time() -> None:
    clock = SystemClock()
    assert utcnow(clock).year >= 2024
    asyncio.run(clock.sleep(-1))  # a negative wait is no wait
