"""One logging setup for the process: structlog and stdlib records, JSON lines or console, redacted."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from fusionhub.observability.redaction import redact, scrub_log_records

FORMAT_ENV = "FUSIONHUB_LOG_FORMAT"  # "json" (machines) or "console" (people)
LEVEL_ENV = "FUSIONHUB_LOG_LEVEL"
_HANDLER_NAME = "fusionhub"


# Libraries whose per-request INFO lines repeat our own api_call event (which is redacted and richer).
QUIET_LOGGERS = ("httpx", "httpcore")


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor: values under secret keys (by name) and every loaded secret (by value) go."""
    clean = redact(dict(event_dict))
    assert isinstance(clean, dict)
    return clean


def _shared() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # tracebacks become text before they are scrubbed
        redact_secrets,
    ]


def configure_logging(fmt: str | None = None, *, level: str | int | None = None, stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging through one redacting handler.

    `fmt` defaults to $FUSIONHUB_LOG_FORMAT, else JSON when the stream is not a terminal.
    Calling it again replaces the previous setup (tests point it at a buffer).
    """
    out = stream or sys.stderr
    chosen = (fmt or os.environ.get(FORMAT_ENV) or ("console" if out.isatty() else "json")).lower()
    if chosen not in {"json", "console"}:
        raise ValueError(f"{FORMAT_ENV} must be 'json' or 'console', not {chosen!r}")
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if chosen == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    scrub_log_records()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # drop below-level events before any work is done
            *_shared(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared(),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or os.environ.get(LEVEL_ENV, "INFO").upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str = "fusionhub") -> Any:
    return structlog.get_logger(name)
