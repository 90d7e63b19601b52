"""Per-store HTTP: one client per store, built by core from the plugin's HttpConfig."""

from fusionhub.http.auth import ApiKeyAuth, BasicAuth, BearerAuth, OAuth2RefreshAuth, RefreshingAuth, TokenSet
from fusionhub.http.client import build_client
from fusionhub.http.config import NO_RETRY, HttpConfig, RequestMeta, RetryPolicy, meta
from fusionhub.http.error_table import ErrorBody, ErrorRow, ErrorTable, field_is, has_field, text_matches, values_at
from fusionhub.http.errors import DEFAULT_ERRORS, error_for, raise_for_status
from fusionhub.http.transport import CallLabels, LimitedTransport

__all__ = [
    "DEFAULT_ERRORS",
    "NO_RETRY",
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "CallLabels",
    "ErrorBody",
    "ErrorRow",
    "ErrorTable",
    "HttpConfig",
    "LimitedTransport",
    "OAuth2RefreshAuth",
    "RefreshingAuth",
    "RequestMeta",
    "RetryPolicy",
    "TokenSet",
    "build_client",
    "error_for",
    "field_is",
    "has_field",
    "meta",
    "raise_for_status",
    "text_matches",
    "values_at",
]
