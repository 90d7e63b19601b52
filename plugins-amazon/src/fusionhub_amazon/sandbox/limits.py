"""SP-API's rate limits in the fake: a token bucket per operation and selling partner-app pair.

Each operation has its own bucket (rate, burst) from the manifest's table, so a store's slow
operation never holds back its fast ones; every answer reports the operation's rate in
`x-amzn-RateLimit-Limit`, and a refusal is 429 `QuotaExceeded` with that header (Amazon sends no
Retry-After). JSON_LISTINGS_FEED submissions are also held to 5 per 5 minutes per region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from fusionhub.plugin import Clock, OperationRate, SandboxBucket, SlidingWindow, TokenWindow, Window
from fusionhub_amazon.ratelimit import RATE_HEADER

FEED_SUBMISSIONS, FEED_WINDOW = 5, 300.0


def quota_exceeded(wait: float) -> httpx.Response:
    body = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]}
    return httpx.Response(429, json=body)


def _shape(rate: OperationRate, operation: str) -> Callable[[float], dict[str, Window]]:
    def shape(now: float) -> dict[str, Window]:
        windows: dict[str, Window] = {"bucket": TokenWindow.full(float(rate.burst), rate.rate, now)}
        if operation == "createFeed":
            windows["submissions"] = SlidingWindow(float(FEED_SUBMISSIONS), FEED_WINDOW)
        return windows

    return shape


def _reported(rate: OperationRate) -> Callable[[Mapping[str, Window]], dict[str, str]]:
    """The operation's usage-plan rate, as every answer reports it."""
    return lambda windows: {RATE_HEADER: f"{rate.rate:g}"}


class OperationBuckets:
    """One SandboxBucket per operation, keyed by what Amazon counts by (`key(request)`)."""

    def __init__(self, clock: Clock, rates: Mapping[str, OperationRate], key: Callable[[httpx.Request], str]) -> None:
        self.rates = dict(rates)
        self.buckets = {
            op: SandboxBucket(
                clock,
                _shape(rate, op),
                key=key,
                headers=_reported(rate),
                refusal=quota_exceeded,
            )
            for op, rate in self.rates.items()
        }

    @property
    def throttled(self) -> int:
        return sum(bucket.throttled for bucket in self.buckets.values())

    def admit(self, operation: str, request: httpx.Request) -> httpx.Response | None:
        bucket = self.buckets.get(operation)
        return None if bucket is None else bucket.admit(request)

    def headers(self, operation: str, request: httpx.Request) -> dict[str, str]:
        bucket = self.buckets.get(operation)
        return {} if bucket is None else bucket.headers(request)
