"""The structlog processor that keeps credentials out of every log line."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from fusionhub.redaction import redact, scrub


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace values under secret keys (by name) and scrub every loaded secret (by value)."""
    clean = redact(dict(event_dict))
    assert isinstance(clean, dict)
    return clean


_installed = False


def scrub_stdlib_records() -> None:
    """Scrub secrets from every stdlib log record as it is created (httpx logs full URLs).

    A record factory runs before any handler, filter or test capture sees the record, so a
    secret in a message or its arguments never reaches any of them.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed format: keep the raw parts, scrubbed
                message = f"{record.msg} {record.args!r}"
            cleaned = scrub(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
