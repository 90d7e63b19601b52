"""Etsy's rate-limit headers fed back into the store's buckets, and what a 429 means.

Etsy counts per API key (or OAuth token) per second (QPS) and per 24 h sliding window (QPD);
every response reports both. The local buckets are the source of pacing; the headers only
ever lower what we think is left (other clients may share the key) and set the real limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from fusionhub.ratelimit import Limiter

DAY = 86_400.0
SECOND_BUCKET, DAY_BUCKET = 0, 1  # order of core's shapes_for(requests_per_second with per_day)


@dataclass(frozen=True, slots=True)
class EtsyLimits:
    per_second: int | None
    remaining_second: int | None
    per_day: int | None
    remaining_today: int | None
    retry_after: float | None

    @classmethod
    def of(cls, response: httpx.Response) -> EtsyLimits:
        h = response.headers
        return cls(
            per_second=_int(h.get("x-limit-per-second")),
            remaining_second=_int(h.get("x-remaining-this-second")),
            per_day=_int(h.get("x-limit-per-day")),
            remaining_today=_int(h.get("x-remaining-today")),
            retry_after=_float(h.get("retry-after")),
        )

    def wait_after_429(self) -> float:
        """How long to wait before trying again: the server's word, else one token's refill."""
        if self.retry_after is not None:
            return self.retry_after
        if self.remaining_today == 0 and self.per_day:
            return DAY / self.per_day
        return 1.0 / (self.per_second or 1)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


async def apply_headers(response: httpx.Response, limiter: Limiter) -> None:
    """HttpConfig.on_response: correct the per-second and per-day buckets from the headers."""
    limits = EtsyLimits.of(response)
    shapes = limiter.shapes()
    if not shapes:
        return
    if limits.per_second:
        # Core spreads a window evenly (bucket of 1 refilled N/s): only the rate follows the server.
        await limiter.correct(refill_rate=float(limits.per_second), bucket=SECOND_BUCKET)
    if limits.remaining_second == 0:
        await limiter.correct(tokens=0.0, bucket=SECOND_BUCKET)
    if response.status_code == 429:
        limiter.stats.throttled += 1
    if len(shapes) <= DAY_BUCKET:
        return
    if limits.per_day:
        await limiter.correct(capacity=float(limits.per_day), refill_rate=limits.per_day / DAY, bucket=DAY_BUCKET)
    if limits.remaining_today is not None:
        local = await limiter.store.snapshot(shapes[DAY_BUCKET], limiter.clock.now())
        if limits.remaining_today < local.tokens:
            await limiter.correct(tokens=float(limits.remaining_today), bucket=DAY_BUCKET)
