"""Correct a store's buckets from what the platform reports after each response.

Platform-free pieces a plugin builds its `HttpConfig.on_response(response, limiter)` from; which
headers or body fields carry the report is the plugin's own knowledge, kept in its own module.
Server state only ever lowers what we think is left (other requests of ours may be in flight
that the server has not counted yet); it raises it only through `Limiter.correct(refund=...)`.
"""

from __future__ import annotations

from typing import Any

from fusionhub.ratelimit.limiter import Limiter


def reported_number(value: Any) -> float | None:
    """A header's or body field's number; None when absent, malformed or negative."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


async def lower_to(limiter: Limiter, bucket: str, reported: float, *, operation: str | None = None) -> None:
    """Lower `bucket` to the level the platform reported, if that is below ours (never raise it)."""
    state = await limiter.correct(bucket=bucket, operation=operation)
    if state is not None and reported < state.tokens:
        await limiter.correct(bucket=bucket, operation=operation, tokens=reported)
