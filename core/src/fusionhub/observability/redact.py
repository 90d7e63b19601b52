"""The structlog processor that keeps credentials out of every log line."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fusionhub.redaction import redact, scrub_log_records


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace values under secret keys (by name) and scrub every loaded secret (by value)."""
    clean = redact(dict(event_dict))
    assert isinstance(clean, dict)
    return clean


def scrub_stdlib_records() -> None:
    """Scrub secrets from every stdlib log record as it is created (see `redaction.scrub_log_records`)."""
    scrub_log_records()
