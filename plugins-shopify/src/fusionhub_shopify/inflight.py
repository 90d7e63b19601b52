"""Points spent on requests that are on their way: the server has not counted them yet.

When a response reports the bucket's level, our own requests still in flight will be charged
after it; the store's bucket is set to the reported level minus those, never above the truth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_IN_FLIGHT: defaultdict[str, float] = defaultdict(float)  # limiter store_key → points in flight


@asynccontextmanager
async def flying(store_key: str, cost: float) -> AsyncIterator[None]:
    _IN_FLIGHT[store_key] += cost
    try:
        yield
    finally:
        _IN_FLIGHT[store_key] -= cost
        if _IN_FLIGHT[store_key] <= 1e-9:
            del _IN_FLIGHT[store_key]


def others(store_key: str, own_cost: float) -> float:
    """Points in flight for this store besides the request just answered."""
    return max(0.0, _IN_FLIGHT.get(store_key, 0.0) - own_cost)
