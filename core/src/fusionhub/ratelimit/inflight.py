"""Cost of a store's requests on their way: sent, not yet answered, so not yet counted by the server.

A platform that reports its bucket's level in each response reports it before charging our
requests still in flight; a plugin's rate feedback subtracts `Limiter.in_flight` from the level
so the bucket is never set above the truth. Kept per store key and process-wide: every client of
a store adds to it (the transport, around each send).
"""

from __future__ import annotations

from collections import defaultdict

_IN_FLIGHT: defaultdict[str, float] = defaultdict(float)


class flying:
    """Counts `cost` as in flight for the store while the block runs (a class: it wraps every send)."""

    __slots__ = ("_cost", "_key")

    def __init__(self, store_key: str, cost: float) -> None:
        self._key, self._cost = store_key, cost

    def __enter__(self) -> None:
        _IN_FLIGHT[self._key] += self._cost

    def __exit__(self, *exc: object) -> None:
        left = _IN_FLIGHT[self._key] - self._cost
        if left <= 1e-9:
            del _IN_FLIGHT[self._key]
        else:
            _IN_FLIGHT[self._key] = left


def in_flight(store_key: str) -> float:
    return max(0.0, _IN_FLIGHT.get(store_key, 0.0))
