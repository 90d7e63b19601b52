"""What a 429 from Etsy means for when to try again.

The buckets themselves are corrected after every response by core's `etsy_on_response`
(x-limit-per-second, x-remaining-this-second, x-limit-per-day, x-remaining-today).
"""

from __future__ import annotations

import httpx

DAY = 86_400.0


def _number(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def wait_after_429(response: httpx.Response) -> float:
    """The server's Retry-After if it sent one [unverified for Etsy], else one token's refill:
    of the day window when today's budget is gone, else of the per-second window."""
    headers = response.headers
    retry_after = _number(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    per_day = _number(headers.get("x-limit-per-day"))
    if _number(headers.get("x-remaining-today")) == 0 and per_day:
        return DAY / per_day
    return 1.0 / (_number(headers.get("x-limit-per-second")) or 1.0)
