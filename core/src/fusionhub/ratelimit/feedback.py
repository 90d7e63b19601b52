"""Correct a store's buckets from what the platform reports after each response.

Which headers or body fields carry the report is the plugin's own knowledge, kept in its own
module; core holds the platform-free pieces. A platform that reports its limits in response
headers declares them as data (`RateHeaders`) and core applies them; any other report is read
by the plugin's own `HttpConfig.on_response(response, limiter)`, built from `reported_number`,
`lower_to` and `Limiter.correct`. Server state only ever lowers what we think is left (other
requests of ours may be in flight that the server has not counted yet); it raises it only
through `Limiter.correct(refund=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

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
    await limiter.lower({bucket: reported}, operation=operation)


@dataclass(frozen=True, slots=True)
class HeaderLimit:
    """One bucket as response headers report it: `limit` requests per `per` seconds, `remaining` left.

    The limit sets the bucket's refill rate (limit / per). A paced window (`quota=False`) keeps
    the burst the manifest gives it, so its requests stay evenly spread; a quota spent at will
    (`quota=True`, a daily allowance) also takes the limit as its capacity.
    """

    bucket: str  # the name a shape's key ends with: "window", "day", ...
    per: float
    limit: str | None = None
    remaining: str | None = None
    quota: bool = False

    def __post_init__(self) -> None:
        if not self.per > 0:
            raise ValueError(f"HeaderLimit {self.bucket!r}: per must be a positive number of seconds, not {self.per!r}")
        if self.limit is None and self.remaining is None:
            raise ValueError(f"HeaderLimit {self.bucket!r}: name the limit header, the remaining header or both")

    def refill_time(self, headers: Mapping[str, str]) -> float | None:
        """Seconds for one request's worth to come back, when the headers report the limit."""
        limit = reported_number(headers.get(self.limit)) if self.limit else None
        return self.per / limit if limit else None


@dataclass(frozen=True, slots=True)
class RateHeaders:
    """A platform's rate-limit headers as data; `observe` is its `HttpConfig.on_response`,
    `wait` its `ErrorTable.rate_limit_wait`.

    `throttled` names the bucket a 429 empties (the one a refusal most likely means). Name the
    headers in lower case: httpx's headers match any case, a plain mapping only its own.
    """

    limits: tuple[HeaderLimit, ...]
    throttled: str | None = None

    async def apply(self, limiter: Limiter, headers: Mapping[str, str]) -> None:
        """Take the reported limits and what is left of them into the store's buckets: a limit not
        written yet (its first report, or a change) with its bucket's level, then every other
        bucket's level in one `Limiter.lower` (one statement on a database)."""
        levels: dict[int | str, float] = {}
        for each in self.limits:
            limit = reported_number(headers.get(each.limit)) if each.limit else None
            left = reported_number(headers.get(each.remaining)) if each.remaining else None
            if not limit and left is None:
                continue
            # A limit of 0 is no rate to refill at (keep ours), and our requests still in flight
            # are not counted in the report yet.
            capacity = limit if limit and each.quota else None
            refill_rate = limit / each.per if limit else None
            at_most = None if left is None else max(0.0, left - limiter.in_flight)
            if limiter.already_reported(each.bucket, capacity, refill_rate):
                if at_most is not None:
                    levels[each.bucket] = at_most
                continue
            await limiter.correct(bucket=each.bucket, capacity=capacity, refill_rate=refill_rate, at_most=at_most)
        if levels:
            await limiter.lower(levels)

    async def observe(self, response: httpx.Response, limiter: Limiter) -> None:
        """After every response: a 429 empties the `throttled` bucket, then the headers apply."""
        if response.status_code == 429 and self.throttled is not None:
            await lower_to(limiter, self.throttled, 0.0)
        await self.apply(limiter, response.headers)

    def wait(self, response: httpx.Response) -> float:
        """How long a 429 asks to wait: `Retry-After` (seconds), else one refill of the slowest
        bucket reported empty, else of the `throttled` bucket (a whole `per` when its limit is not
        reported), else a second."""
        headers = response.headers
        said = reported_number(headers.get("retry-after"))
        if said is not None:
            return said
        empty = [
            time
            for each in self.limits
            if each.remaining and reported_number(headers.get(each.remaining)) == 0
            if (time := each.refill_time(headers)) is not None
        ]
        if empty:
            return max(empty)
        throttled = next((each for each in self.limits if each.bucket == self.throttled), None)
        if throttled is None:
            return 1.0
        time = throttled.refill_time(headers)
        return throttled.per if time is None else time
