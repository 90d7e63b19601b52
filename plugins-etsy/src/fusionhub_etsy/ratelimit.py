"""Etsy's rate headers: they correct the store's buckets after every response, and say when to retry a 429.

Etsy counts per second (QPS, bucket "window") and per day (QPD, bucket "day"); every response
carries both limits and what is left of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from fusionhub.plugin import Limiter, lower_to, reported_number

LIMIT_PER_SECOND = "x-limit-per-second"
REMAINING_THIS_SECOND = "x-remaining-this-second"
LIMIT_PER_DAY = "x-limit-per-day"
REMAINING_TODAY = "x-remaining-today"
DAY = 86_400.0


async def apply_headers(limiter: Limiter, headers: Mapping[str, str]) -> None:
    """Take Etsy's QPS/QPD limits and what is left of them into the window and day buckets."""
    per_second = reported_number(headers.get(LIMIT_PER_SECOND))
    if per_second:
        await limiter.correct(bucket="window", refill_rate=per_second)
    if reported_number(headers.get(REMAINING_THIS_SECOND)) == 0:
        await lower_to(limiter, "window", 0.0)
    per_day = reported_number(headers.get(LIMIT_PER_DAY))
    if per_day:
        await limiter.correct(bucket="day", capacity=per_day, refill_rate=per_day / DAY)
    remaining = reported_number(headers.get(REMAINING_TODAY))
    if remaining is not None:
        await lower_to(limiter, "day", remaining)


async def observe_limits(response: httpx.Response, limiter: Limiter) -> None:
    """`HttpConfig.on_response` for Etsy Open API v3."""
    if response.status_code == 429:  # counted by the transport; here the bucket learns it is empty
        await lower_to(limiter, "window", 0.0)
    await apply_headers(limiter, response.headers)


def wait_after_429(response: httpx.Response) -> float:
    """The server's Retry-After if it sent one [unverified for Etsy], else one token's refill:
    of the day window when today's budget is gone, else of the per-second window."""
    headers = response.headers
    retry_after = reported_number(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    per_day = reported_number(headers.get(LIMIT_PER_DAY))
    if reported_number(headers.get(REMAINING_TODAY)) == 0 and per_day:
        return DAY / per_day
    return 1.0 / (reported_number(headers.get(LIMIT_PER_SECOND)) or 1.0)
