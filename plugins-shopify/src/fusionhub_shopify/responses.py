"""Shopify's answers mapped into fusionhub's error taxonomy, on core's GraphQL conventions.

HTTP statuses and top-level GraphQL `errors` (which come with HTTP 200) are rows of an error
table on top of core's; THROTTLED is rate-limit feedback, read before it. A mutation's
`userErrors` are validation failures with field paths, never success (core's `payload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from fusionhub.plugin import (
    DEFAULT_ERRORS,
    AuthError,
    ErrorBody,
    ErrorRow,
    NotFound,
    PlatformError,
    RateLimited,
    TransientError,
    data_of,
    field_is,
    has_field,
    json_body,
    present,
    values_at,
)
from fusionhub.plugin import payload as core_payload
from fusionhub_shopify.http import is_throttled, throttle_status

PLATFORM = "shopify"
_CODE = "errors.extensions.code"


def _said(body: ErrorBody) -> str | None:
    """The messages of top-level `errors` (a list of objects, or one string on 401)."""
    said = [str(m) for m in values_at(body.json, "errors.message")] or [
        e for e in values_at(body.json, "errors") if isinstance(e, str)
    ]
    return "; ".join(said)[:500] or None


ERRORS = DEFAULT_ERRORS.extend(
    ErrorRow(400, PlatformError, "Shopify could not read the request (a plugin fault, not the input)."),
    ErrorRow(401, AuthError, "Shopify rejected the access token."),
    ErrorRow(403, AuthError, "The app lacks a scope this call needs."),
    ErrorRow(404, NotFound, "Shopify answered 404: unknown shop or API version."),
    ErrorRow(423, PlatformError, "The shop is locked (frozen, or its plan lapsed)."),
    ErrorRow(
        None, AuthError, "Shopify denied the call.", when=field_is(_CODE, "ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN")
    ),
    ErrorRow(
        None,
        TransientError,
        "Shopify failed the call; it may succeed when retried.",
        when=field_is(_CODE, "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"),
    ),
    ErrorRow(200, PlatformError, "Shopify rejected the call.", when=has_field("errors")),
    describe=_said,
)


def graphql_data(response: httpx.Response, operation: str, requested: float) -> dict[str, Any]:
    """The `data` of a GraphQL response, or the mapped error; THROTTLED waits what the bucket needs."""
    body = json_body(response)
    if response.status_code == 200 and is_throttled(body):
        status = throttle_status(body)
        wait = 1.0
        if status and status["restoreRate"] > 0:
            wait = max(0.0, requested - status["currentlyAvailable"]) / status["restoreRate"]
        raise RateLimited(wait, details={"operation": operation, "throttled": True}, platform=PLATFORM)
    return data_of(response, ERRORS, operation=operation, platform=PLATFORM)


def found(data: Mapping[str, Any], key: str, what: str) -> Any:
    """`data[key]`; Shopify answers null for an id it does not know, which is NotFound for `what`."""
    return present(data, key, f"Shopify {what}", platform=PLATFORM)


def payload(data: Mapping[str, Any], field: str, *, errors_key: str = "userErrors", prefix: str = "") -> dict[str, Any]:
    """A mutation's payload; non-empty userErrors raise ValidationError with their field paths."""
    return core_payload(data, field, errors_key=errors_key, prefix=prefix, platform=PLATFORM)
