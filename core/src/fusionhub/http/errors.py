"""HTTP status → error taxonomy, as one table; `raise_for_status` is what plugins call.

The table also says which statuses the transport retries (transient ones); a plugin that
needs a platform-specific reading of a body (Shopify's userErrors, Printify's code 8252)
decides that itself and passes its message along.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

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
from fusionhub.redaction import scrub


@dataclass(frozen=True, slots=True)
class StatusRule:
    error: type[FusionHubError]
    retry: bool  # the transport may resend the request (if it is idempotent)
    message: str


STATUS_TABLE: dict[int, StatusRule] = {
    400: StatusRule(ValidationError, False, "The platform rejected the request as invalid."),
    401: StatusRule(AuthError, False, "The store's credentials were rejected; reconnect the store."),
    403: StatusRule(AuthError, False, "The store's credentials lack the permission (scope) for this."),
    404: StatusRule(NotFound, False, "The requested object does not exist on the platform."),
    405: StatusRule(PlatformError, False, "The platform does not allow this method here."),
    408: StatusRule(TransientError, True, "The platform timed out waiting for the request."),
    409: StatusRule(ValidationError, False, "The request conflicts with the object's current state."),
    410: StatusRule(NotFound, False, "The object is gone from the platform."),
    413: StatusRule(ValidationError, False, "The request is too large for the platform."),
    415: StatusRule(ValidationError, False, "The platform does not accept this content type."),
    422: StatusRule(ValidationError, False, "The platform could not process the request's content."),
    423: StatusRule(ValidationError, False, "The object is locked on the platform."),
    429: StatusRule(RateLimited, True, "The platform's rate limit is reached."),
    500: StatusRule(TransientError, False, "The platform had an internal error."),
    502: StatusRule(TransientError, True, "The platform's gateway failed; the call can be retried."),
    503: StatusRule(TransientError, True, "The platform is unavailable; the call can be retried."),
    504: StatusRule(TransientError, True, "The platform's gateway timed out; the call can be retried."),
}
# Statuses not in the table, by class.
CLASS_RULES: dict[int, StatusRule] = {
    4: StatusRule(PlatformError, False, "The platform refused the request."),
    5: StatusRule(TransientError, False, "The platform had a server error."),
}
# A 429 without Retry-After: wait this long (seconds) before the next try.
DEFAULT_RETRY_AFTER = 1.0


def rule_for(status: int) -> StatusRule | None:
    """The rule for an error status; None for success and redirects."""
    if status < 400:
        return None
    return STATUS_TABLE.get(status) or CLASS_RULES.get(status // 100) or CLASS_RULES[5]


def retryable_status(status: int) -> bool:
    rule = rule_for(status)
    return rule is not None and rule.retry


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds the `Retry-After` header asks for (delta seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def error_for(
    response: httpx.Response,
    *,
    platform: str | None = None,
    message: str | None = None,
    now: float | None = None,
) -> FusionHubError | None:
    """The taxonomy error a response stands for (None when it succeeded)."""
    rule = rule_for(response.status_code)
    if rule is None:
        return None
    request = response.request
    details = {"status": response.status_code, "method": request.method, "path": request.url.path}
    text = scrub(message) if message else rule.message
    if rule.error is RateLimited:
        wait = retry_after(response, time.time() if now is None else now)
        return RateLimited(DEFAULT_RETRY_AFTER if wait is None else wait, text, details=details, platform=platform)
    return rule.error(text, details=details, platform=platform)


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
    error = error_for(response, platform=platform, message=message, now=now)
    if error is not None:
        raise error
    return response
