"""Observability: redacted structured logs, per-call events, counters, error-rate alerts."""

from fusionhub.observability.logs import FORMAT_ENV, configure_logging, get_logger, redact_secrets
from fusionhub.observability.metrics import CallCounter, ErrorRateMonitor
from fusionhub.observability.observer import Observer, StoreTraffic
from fusionhub.observability.scope import current_capability

__all__ = [
    "FORMAT_ENV",
    "CallCounter",
    "ErrorRateMonitor",
    "Observer",
    "StoreTraffic",
    "configure_logging",
    "current_capability",
    "get_logger",
    "redact_secrets",
]
