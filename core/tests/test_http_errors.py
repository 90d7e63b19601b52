"""Status → error taxonomy, kept as one table."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from fusionhub.credentials import Credentials
from fusionhub.errors import (
    AuthError,
    FusionHubError,
    NotFound,
    PlatformError,
    RateLimited,
    TransientError,
    ValidationError,
)
from fusionhub.http import STATUS_TABLE, error_for, raise_for_status
from fusionhub.http.errors import DEFAULT_RETRY_AFTER, retry_after, retryable_status


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x.test/a/b?q=1"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, ValidationError),
        (422, ValidationError),
        (429, RateLimited),
        (418, PlatformError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (504, TransientError),
        (599, TransientError),
    ],
)
def test_status_maps_to_its_error(status: int, error: type[FusionHubError]) -> None:
    with pytest.raises(error) as info:
        raise_for_status(_response(status), platform="demo")
    assert info.value.platform == "demo"
    assert info.value.details["status"] == status
    assert info.value.details["path"] == "/a/b"


def test_success_passes_through() -> None:
    response = _response(204)
    assert raise_for_status(response) is response
    assert error_for(_response(302)) is None


def test_only_transient_statuses_are_retried() -> None:
    assert {s for s, rule in STATUS_TABLE.items() if rule.retry} == {408, 429, 502, 503, 504}
    assert not retryable_status(500)  # an internal error may have applied the change
    assert not retryable_status(200)


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after(_response(429, {"Retry-After": "7"}), now=0) == 7.0
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after(_response(429, {"Retry-After": when}), now=1_000_000) == pytest.approx(30)
    assert retry_after(_response(429, {"Retry-After": "soon"}), now=0) is None
    assert retry_after(_response(429), now=0) is None


def test_rate_limited_carries_the_wait() -> None:
    with pytest.raises(RateLimited) as info:
        raise_for_status(_response(429, {"Retry-After": "12"}))
    assert info.value.retry_after == 12.0
    with pytest.raises(RateLimited) as info:
        raise_for_status(_response(429))
    assert info.value.retry_after == DEFAULT_RETRY_AFTER


def test_platform_message_is_kept_and_scrubbed() -> None:
    creds = Credentials({"api_key": "errors-secret-value-1"})
    with pytest.raises(ValidationError) as info:
        raise_for_status(_response(422), message=f"title is blank (key {creds['api_key']})")
    assert info.value.message == "title is blank (key [redacted])"
