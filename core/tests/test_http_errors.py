"""Status and error body → error taxonomy, kept as one table that plugins extend."""

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
from fusionhub.http import (
    DEFAULT_ERRORS,
    ErrorBody,
    ErrorRow,
    error_for,
    field_is,
    has_field,
    raise_for_status,
    text_matches,
    values_at,
)
from fusionhub.http.errors import DEFAULT_RETRY_AFTER, RETRY_STATUSES, retry_after, retryable_status


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
    assert {408, 429, 502, 503, 504} == RETRY_STATUSES
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


# --- a plugin's table: its rows in front of core's ---------------------------------------------

GONE = ErrorRow(404, NotFound, "No such listing.")
LOCKED = ErrorRow(400, AuthError, "The shop is frozen.", when=field_is("errors.extensions.code", "SHOP_FROZEN"))
QUOTA = ErrorRow(None, RateLimited, "Daily quota used up.", when=text_matches(r"quota\s+exceeded"))
GRAPHQL = ErrorRow(200, PlatformError, "The query was refused.", when=has_field("errors"))
PLUGIN = DEFAULT_ERRORS.extend(
    GONE, LOCKED, QUOTA, GRAPHQL, describe=lambda body: "; ".join(map(str, values_at(body.json, "errors.message")))
)


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", "https://x.test/graphql"))


@pytest.mark.parametrize(
    ("status", "body", "row"),
    [
        (404, {}, GONE),
        (400, {"errors": [{"message": "frozen", "extensions": {"code": "SHOP_FROZEN"}}]}, LOCKED),
        (403, {"errors": [{"message": "Quota  exceeded for today"}]}, QUOTA),
        (200, {"errors": [{"message": "Field 'x' doesn't exist"}]}, GRAPHQL),
    ],
)
def test_each_plugin_row_maps_as_declared(status: int, body: object, row: ErrorRow) -> None:
    assert PLUGIN.row_for(status, ErrorBody(str(body), body)) is row
    error = PLUGIN.error_for(_json(status, body), platform="demo", operation="getThing", now=0)
    assert type(error) is row.error and error.platform == "demo"
    assert error.message.startswith(f"getThing: {row.message}")
    assert error.details["operation"] == "getThing" and error.details["status"] == status


def test_a_plugin_row_overrides_cores_and_an_unmatched_one_falls_through() -> None:
    assert DEFAULT_ERRORS.row_for(404) is not GONE and DEFAULT_ERRORS.row_for(404).error is NotFound  # type: ignore[union-attr]
    assert PLUGIN.row_for(404) is GONE
    other = _json(400, {"errors": [{"message": "title is blank", "extensions": {"code": "BLANK"}}]})
    error = PLUGIN.error_for(other)
    assert isinstance(error, ValidationError)  # core's 400 row: the plugin's matcher did not accept the body
    assert error.message.endswith("The platform said: title is blank")


def test_unknown_statuses_fall_back_by_class_and_success_stays_success() -> None:
    assert type(PLUGIN.error_for(_json(418, {}))) is PlatformError
    assert type(PLUGIN.error_for(_json(599, {}))) is TransientError
    assert PLUGIN.error_for(_json(200, {"data": {"ok": True}})) is None
    assert PLUGIN.error_for(_json(204, {})) is None
    assert PLUGIN.error_for(httpx.Response(502, content=b"<html>bad gateway</html>", request=_json(200, {}).request))


def test_a_rate_limit_row_reads_the_wait_the_plugin_knows() -> None:
    table = DEFAULT_ERRORS.extend(rate_limit_wait=lambda response: float(response.headers["x-wait"]))
    error = table.error_for(httpx.Response(429, headers={"x-wait": "8.5"}, request=_json(200, {}).request))
    assert isinstance(error, RateLimited) and error.retry_after == 8.5


def test_the_platforms_text_is_scrubbed_and_a_row_for_any_status_needs_a_matcher() -> None:
    creds = Credentials({"api_key": "table-secret-value-2"})
    error = PLUGIN.error_for(_json(500, {"errors": [{"message": f"bad key {creds['api_key']}"}]}))
    assert error is not None and "table-secret-value-2" not in error.message and "[redacted]" in error.message
    with pytest.raises(ValueError, match="matcher"):
        ErrorRow(None, PlatformError, "anything")


def test_values_at_walks_lists_on_the_way() -> None:
    body = {"errors": [{"extensions": {"code": "A"}}, {"extensions": {"code": ["B", "C"]}}, "plain"]}
    assert values_at(body, "errors.extensions.code") == ["A", "B", "C"]
    assert values_at(body, "missing.path") == []
    assert values_at("not json", "errors") == []
