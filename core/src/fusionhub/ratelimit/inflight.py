"""Cost of a store's requests on their way: sent, not yet answered, so not yet counted by the server.

A platform that reports its bucket's level in each response reports it before charging our
requests still in flight; a plugin's rate feedback subtracts `Limiter.in_flight` from the level
so the bucket is never set above the truth. Kept per store key and process-wide: every client of
a store adds to it (the transport, around each send).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

_IN_FLIGHT: defaultdict[str, float] = defaultdict(float)


@contextmanager
def flying(store_key: str, cost: float) -> Iterator[None]:
    _IN_FLIGHT[store_key] += cost
    try:
        yield
    finally:
        _IN_FLIGHT[store_key] -= cost
        if _IN_FLIGHT[store_key] <= 1e-9:
            del _IN_FLIGHT[store_key]


def in_flight(store_key: str) -> float:
    return max(0.0, _IN_FLIGHT.get(store_key, 0.0))
