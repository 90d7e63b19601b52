"""Printify's rate limits in the fake: per account, whatever the token or shop.

600 requests per minute for every request of the account, plus 100 per minute for catalog
endpoints and 200 per 30 minutes for publishing, each counted as a sliding window (the strict
reading of "per minute": Printify does not say how it counts). Refusals are 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fusionhub.plugin import Clock, SandboxBucket, SlidingWindow
from fusionhub_printify.sandbox.replies import error

MINUTE, HALF_HOUR = 60.0, 1800.0


def refusal(wait: float) -> httpx.Response:
    response = error(429, "Too Many Attempts.")
    response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


def window(
    clock: Clock, key: Callable[[httpx.Request], str], limit: int, seconds: float
) -> SandboxBucket[SlidingWindow]:
    return SandboxBucket(clock, lambda now: {"window": SlidingWindow(float(limit), seconds)}, key=key, refusal=refusal)


def account_buckets(
    clock: Clock, key: Callable[[httpx.Request], str], *, per_minute: int, catalog: int, publishing: int
) -> tuple[SandboxBucket[SlidingWindow], dict[str, SandboxBucket[SlidingWindow]]]:
    """The account's window, and the endpoint classes' windows by name (endpoints.py's endpoint_class)."""
    classes = {"catalog": window(clock, key, catalog, MINUTE), "publishing": window(clock, key, publishing, HALF_HOUR)}
    return window(clock, key, per_minute, MINUTE), classes
