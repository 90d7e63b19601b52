"""Core's default error table (HTTP status → error taxonomy) and which statuses the transport retries.

Plugins extend `DEFAULT_ERRORS` with their own rows (`fusionhub.http.error_table`); a plugin
without platform-specific errors calls `raise_for_status` directly.
"""

from __future__ import annotations

from typing import Any

import httpx

from fusionhub.errors import (
    AuthError,
    FusionHubError,
    NotFound,
    PlatformError,
    RateLimited,
    TransientError,
    ValidationError,
)
from fusionhub.http.error_table import DEFAULT_RETRY_AFTER, ErrorRow, ErrorTable, retry_after

__all__ = [
    "DEFAULT_ERRORS",
    "DEFAULT_RETRY_AFTER",
    "RETRY_STATUSES",
    "error_for",
    "raise_for_status",
    "retry_after",
    "retryable_status",
]

DEFAULT_ERRORS = ErrorTable(
    rows=(
        ErrorRow(400, ValidationError, "The platform rejected the request as invalid."),
        ErrorRow(401, AuthError, "The store's credentials were rejected; reconnect the store."),
        ErrorRow(403, AuthError, "The store's credentials lack the permission (scope) for this."),
        ErrorRow(404, NotFound, "The requested object does not exist on the platform."),
        ErrorRow(405, PlatformError, "The platform does not allow this method here."),
        ErrorRow(408, TransientError, "The platform timed out waiting for the request."),
        ErrorRow(409, ValidationError, "The request conflicts with the object's current state."),
        ErrorRow(410, NotFound, "The object is gone from the platform."),
        ErrorRow(413, ValidationError, "The request is too large for the platform."),
        ErrorRow(415, ValidationError, "The platform does not accept this content type."),
        ErrorRow(422, ValidationError, "The platform could not process the request's content."),
        ErrorRow(423, ValidationError, "The object is locked on the platform."),
        ErrorRow(429, RateLimited, "The platform's rate limit is reached."),
        ErrorRow(500, TransientError, "The platform had an internal error."),
        ErrorRow(502, TransientError, "The platform's gateway failed; the call can be retried."),
        ErrorRow(503, TransientError, "The platform is unavailable; the call can be retried."),
        ErrorRow(504, TransientError, "The platform's gateway timed out; the call can be retried."),
    ),
    # Statuses no row names, by class.
    by_class={
        4: ErrorRow(400, PlatformError, "The platform refused the request."),
        5: ErrorRow(500, TransientError, "The platform had a server error."),
    },
)
# The transport may resend an idempotent request answered with these. Not 500: an internal
# error may have applied the change.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})


def retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES


def error_for(response: httpx.Response, **kwargs: Any) -> FusionHubError | None:
    """`DEFAULT_ERRORS.error_for`: the taxonomy error a response stands for (None when it succeeded)."""
    return DEFAULT_ERRORS.error_for(response, **kwargs)


def raise_for_status(
    response: httpx.Response,
    *,
    platform: str | None = None,
    message: str | None = None,
    now: float | None = None,
) -> httpx.Response:
    """Raise the taxonomy error for an error status, else return the response.

    `message` is the platform's own explanation, if the plugin has read one from the body
    (scrubbed of secrets here); `now` is the clock's time for Retry-After dates.
    """
    return DEFAULT_ERRORS.raise_for(response, platform=platform, message=message, now=now)
