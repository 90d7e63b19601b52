"""Which requests are retried and how long to wait: the policy data of the transport."""

from __future__ import annotations

import httpx

from fusionhub.http.config import NO_RETRY, RequestMeta, RetryPolicy

__all__ = ["IDEMPOTENT_METHODS", "NO_RETRY", "RETRYABLE_EXCEPTIONS", "RetryPolicy", "may_retry"]

# Failures where the request may not have reached the platform, or its answer got lost.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
# Methods that mean the same thing when sent twice (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_HEADERS = ("idempotency-key", "x-idempotency-key")


def may_retry(request: httpx.Request, meta: RequestMeta) -> bool:
    """Never resend a request that could apply twice, unless the plugin said it is safe."""
    if not meta.retry:
        return False
    if meta.idempotent is not None:
        return meta.idempotent
    if request.method in IDEMPOTENT_METHODS:
        return True
    return any(h in request.headers for h in IDEMPOTENCY_HEADERS)
