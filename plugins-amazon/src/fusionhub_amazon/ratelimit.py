"""SP-API's rate feedback: one bucket per (store, operation), corrected from what Amazon reports.

Every answer may carry `x-amzn-RateLimit-Limit`, the rate (requests per second) of the usage plan
applied to that operation for this seller and app; it replaces the seeded rate of the operation's
bucket. A 429 (`QuotaExceeded`) empties that bucket, so the next call of the operation waits one
token's refill while the store's other operations go on from their own buckets.
"""

from __future__ import annotations

import httpx

from fusionhub.plugin import Dynamic, Limiter, OperationRate, RequestMeta, load_manifest, lower_to, reported_number

RATE_HEADER = "x-amzn-RateLimit-Limit"
UNKNOWN_WAIT = 60.0  # a 429 of an operation whose rate we know nothing of


def _seeded() -> dict[str, OperationRate]:
    spec = load_manifest("fusionhub_amazon").constraints.rate_limit
    assert isinstance(spec, Dynamic), "the manifest declares a per-operation (dynamic) rate limit"
    return dict(spec.operations)


RATES = _seeded()  # the manifest's table: the plugin's and the sandbox's one source


def bucket(operation: str) -> str:
    return f"op:{operation}"


async def observe_limits(response: httpx.Response, limiter: Limiter) -> None:
    """`HttpConfig.on_response`: the operation's reported rate into its bucket; a 429 empties it."""
    operation = RequestMeta.of(response.request).operation
    if operation not in RATES:
        return  # auth requests and document transfers spend no operation's budget
    rate = reported_number(response.headers.get(RATE_HEADER))
    if rate:
        await limiter.correct(bucket=bucket(operation), operation=operation, refill_rate=rate)
    if response.status_code == 429:
        await lower_to(limiter, bucket(operation), 0.0, operation=operation)


def wait_after_429(response: httpx.Response) -> float:
    """One token's refill at the reported rate, else at the seeded one (Amazon sends no Retry-After)."""
    rate = reported_number(response.headers.get(RATE_HEADER))
    if not rate:
        try:
            operation = RequestMeta.of(response.request).operation
        except RuntimeError:  # a response built without its request
            operation = None
        seeded = RATES.get(operation or "")
        rate = seeded.rate if seeded else None
    return 1.0 / rate if rate else UNKNOWN_WAIT
