"""Correct a store's buckets from what the platform reports after each response.

Small functions a plugin calls from its `HttpConfig.on_response(response, limiter)`; the
`*_on_response` ones can be used as that hook directly. Server state only ever lowers what
we think is left (other requests of ours may be in flight that the server has not counted
yet); it raises it only through the refund of what a request was charged but did not cost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from fusionhub.http.config import RequestMeta
from fusionhub.ratelimit.limiter import Limiter
from fusionhub.ratelimit.shapes import DAY

# Etsy's rate headers (QPS and QPD windows).
ETSY_LIMIT_PER_SECOND = "x-limit-per-second"
ETSY_REMAINING_THIS_SECOND = "x-remaining-this-second"
ETSY_LIMIT_PER_DAY = "x-limit-per-day"
ETSY_REMAINING_TODAY = "x-remaining-today"
# Amazon SP-API: the rate (requests per second) applied to this operation for this seller.
AMAZON_RATE_LIMIT = "x-amzn-ratelimit-limit"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


async def _lower_to(limiter: Limiter, bucket: str, reported: float, *, operation: str | None = None) -> None:
    state = await limiter.correct(bucket=bucket, operation=operation)
    if state is not None and reported < state.tokens:
        await limiter.correct(bucket=bucket, operation=operation, tokens=reported)


# --- Shopify GraphQL: extensions.cost ----------------------------------------------------------


async def apply_shopify_cost(limiter: Limiter, cost: Mapping[str, Any] | None, *, charged: float) -> None:
    """Apply `extensions.cost` of a GraphQL response to the store's cost bucket.

    `charged` is what the request was charged before sending (its requested cost). The bucket
    takes the server's `maximumAvailable` / `restoreRate`, gets `charged - actualQueryCost` back,
    and is lowered to `currentlyAvailable` when the server has less than we think.
    """
    if not cost:
        return
    status = cost.get("throttleStatus") or {}
    capacity = _number(status.get("maximumAvailable"))
    rate = _number(status.get("restoreRate"))
    actual = _number(cost.get("actualQueryCost"))
    refund = max(0.0, charged - actual) if actual is not None else 0.0
    if capacity or rate or refund:
        await limiter.correct(bucket="cost", capacity=capacity or None, refill_rate=rate or None, refund=refund)
    available = _number(status.get("currentlyAvailable"))
    if available is not None:
        await _lower_to(limiter, "cost", available)


def shopify_throttled(body: Mapping[str, Any]) -> bool:
    """A GraphQL response refused for cost (HTTP 200 with an error coded THROTTLED)."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    return any(isinstance(e, Mapping) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


async def shopify_on_response(response: httpx.Response, limiter: Limiter) -> None:
    """`HttpConfig.on_response` for Shopify GraphQL."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        return
    if not isinstance(body, Mapping):
        return
    if shopify_throttled(body) and response.status_code != 429:
        limiter.throttled()  # THROTTLED comes as HTTP 200; the transport counts real 429s itself
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
    await apply_shopify_cost(limiter, cost, charged=RequestMeta.of(response.request).cost)


# --- Etsy: per-second and per-day windows -------------------------------------------------------


async def apply_etsy_headers(limiter: Limiter, headers: Mapping[str, str]) -> None:
    """Take Etsy's QPS/QPD limits and what is left of them into the window and day buckets."""
    per_second = _number(headers.get(ETSY_LIMIT_PER_SECOND))
    if per_second:
        await limiter.correct(bucket="window", refill_rate=per_second)
    if _number(headers.get(ETSY_REMAINING_THIS_SECOND)) == 0:
        await _lower_to(limiter, "window", 0.0)
    per_day = _number(headers.get(ETSY_LIMIT_PER_DAY))
    if per_day:
        await limiter.correct(bucket="day", capacity=per_day, refill_rate=per_day / DAY)
    remaining = _number(headers.get(ETSY_REMAINING_TODAY))
    if remaining is not None:
        await _lower_to(limiter, "day", remaining)


async def etsy_on_response(response: httpx.Response, limiter: Limiter) -> None:
    """`HttpConfig.on_response` for Etsy Open API v3."""
    if response.status_code == 429:  # counted by the transport; here the bucket learns it is empty
        await _lower_to(limiter, "window", 0.0)
    await apply_etsy_headers(limiter, response.headers)


# --- Amazon SP-API: one bucket per operation -----------------------------------------------------


async def apply_amazon_rate_limit(limiter: Limiter, headers: Mapping[str, str], *, operation: str | None) -> None:
    """Set the operation's refill rate to the one Amazon says it applied (`x-amzn-RateLimit-Limit`)."""
    rate = _number(headers.get(AMAZON_RATE_LIMIT))
    if rate and operation is not None:
        await limiter.correct(bucket=f"op:{operation}", operation=operation, refill_rate=rate)


async def amazon_on_response(response: httpx.Response, limiter: Limiter) -> None:
    """`HttpConfig.on_response` for the Selling Partner API (operation from the request's meta)."""
    operation = RequestMeta.of(response.request).operation
    if response.status_code == 429:  # counted by the transport; here the bucket learns it is empty
        await _lower_to(limiter, f"op:{operation or 'default'}", 0.0, operation=operation)
    await apply_amazon_rate_limit(limiter, response.headers, operation=operation)
