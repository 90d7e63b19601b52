"""Per-store HTTP: one client per store, built by core from the plugin's HttpConfig."""

from fusionhub.http.client import build_client
from fusionhub.http.config import HttpConfig, RequestMeta, meta

__all__ = ["HttpConfig", "RequestMeta", "build_client", "meta"]
