"""Shopify's answers mapped into fusionhub's error taxonomy.

HTTP status first (auth, availability), then top-level GraphQL `errors` (THROTTLED is HTTP 200),
then a mutation's `userErrors`, which are validation failures with field paths, never success.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from fusionhub import (
    AuthError,
    NotFound,
    PlatformError,
    RateLimited,
    TransientError,
    ValidationError,
)
from fusionhub_shopify.throttle import is_throttled, parsed_json, throttle_status

PLATFORM = "shopify"
# Top-level error codes that are not the caller's fault and may succeed when retried.
_TRANSIENT_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})
_AUTH_CODES = frozenset({"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"})


def _retry_after(response: httpx.Response, fallback: float = 1.0) -> float:
    try:
        return float(response.headers.get("Retry-After", fallback))
    except ValueError:
        return fallback


def check_status(response: httpx.Response, operation: str) -> None:
    code = response.status_code
    details = {"operation": operation, "status": code}
    if code in (401, 403):
        reason = "the access token was rejected" if code == 401 else "the app lacks a scope this call needs"
        raise AuthError(f"Shopify refused {operation}: {reason}", details=details, platform=PLATFORM)
    if code == 404:
        raise NotFound(f"Shopify answered 404 for {operation}: unknown shop or API version", platform=PLATFORM)
    if code == 429:
        raise RateLimited(_retry_after(response), details=details, platform=PLATFORM)
    if code >= 500:
        raise TransientError(f"Shopify answered {code} to {operation}", details=details, platform=PLATFORM)
    if code >= 400:
        raise PlatformError(f"Shopify answered {code} to {operation}", details=details, platform=PLATFORM)


def graphql_data(response: httpx.Response, operation: str, requested: float) -> dict[str, Any]:
    """The `data` of a GraphQL response, or the mapped error."""
    check_status(response, operation)
    body = parsed_json(response)
    if not isinstance(body, dict):
        raise TransientError(f"Shopify sent a malformed response to {operation}", platform=PLATFORM)
    if is_throttled(body):
        status = throttle_status(body)
        wait = 1.0
        if status and status["restoreRate"] > 0:
            wait = max(0.0, requested - status["currentlyAvailable"]) / status["restoreRate"]
        raise RateLimited(wait, details={"operation": operation, "throttled": True}, platform=PLATFORM)
    errors = body.get("errors")
    if errors:
        _raise_top_level(errors, operation)
    data = body.get("data")
    if not isinstance(data, dict):
        raise TransientError(f"Shopify sent no data for {operation}", platform=PLATFORM)
    return data


def _raise_top_level(errors: Any, operation: str) -> None:
    items: list[Any] = errors if isinstance(errors, list) else [{"message": str(errors)}]
    codes = {str((e.get("extensions") or {}).get("code", "")) for e in items if isinstance(e, dict)}
    text = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in items)[:500]
    details = {"operation": operation, "codes": sorted(c for c in codes if c)}
    if codes & _AUTH_CODES:
        raise AuthError(f"Shopify denied {operation}: {text}", details=details, platform=PLATFORM)
    if codes & _TRANSIENT_CODES:
        raise TransientError(f"Shopify failed {operation}: {text}", details=details, platform=PLATFORM)
    raise PlatformError(f"Shopify rejected {operation}: {text}", details=details, platform=PLATFORM)


def user_errors(errors: Iterable[Mapping[str, Any]] | None, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in errors or ():
        path = ".".join(str(p) for p in err.get("field") or ())
        loc = ".".join(p for p in (prefix, path) if p) or "input"
        out.append({"loc": loc, "msg": str(err.get("message", "invalid"))})
    return out


def payload(data: Mapping[str, Any], field: str, *, errors_key: str = "userErrors", prefix: str = "") -> dict[str, Any]:
    """A mutation's payload; non-empty userErrors raise ValidationError with their field paths."""
    result = data.get(field)
    if not isinstance(result, dict):
        raise PlatformError(f"Shopify returned no {field} payload", platform=PLATFORM)
    problems = user_errors(result.get(errors_key), prefix)
    if problems:
        raise ValidationError(errors=problems, platform=PLATFORM, details={"mutation": field})
    return result
