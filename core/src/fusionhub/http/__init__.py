"""Per-store HTTP: one client per store, built by core from the plugin's HttpConfig."""

from fusionhub.http.auth import ApiKeyAuth, BasicAuth, BearerAuth, OAuth2RefreshAuth, RefreshingAuth, TokenSet
from fusionhub.http.client import build_client
from fusionhub.http.config import NO_RETRY, HttpConfig, RequestMeta, RetryPolicy, meta
from fusionhub.http.errors import STATUS_TABLE, error_for, raise_for_status
from fusionhub.http.transport import CallLabels, LimitedTransport

__all__ = [
    "NO_RETRY",
    "STATUS_TABLE",
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "CallLabels",
    "HttpConfig",
    "LimitedTransport",
    "OAuth2RefreshAuth",
    "RefreshingAuth",
    "RequestMeta",
    "RetryPolicy",
    "TokenSet",
    "build_client",
    "error_for",
    "meta",
    "raise_for_status",
]
