"""One logging setup for the process: structlog and stdlib records, JSON lines or console, redacted."""

from __future__ import annotations

import logging
import operator
import os
import sys
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

import structlog

from fusionhub.observability import jsonline
from fusionhub.observability.redaction import redact_fields, scrub, scrub_log_records

FORMAT_ENV = "FUSIONHUB_LOG_FORMAT"  # "json" (machines) or "console" (people)
LEVEL_ENV = "FUSIONHUB_LOG_LEVEL"
_HANDLER_NAME = "fusionhub"
# structlog's method name, and `level` field, for each stdlib level EventLog.emit is given.
_METHODS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


# Libraries whose per-request INFO lines repeat our own api_call event (which is redacted and richer).
QUIET_LOGGERS = ("httpx", "httpcore")


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor: values under secret keys (by name) and every loaded secret (by value) go."""
    return redact_fields(event_dict)


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


# Set on the stdlib records of structlog events: their message is the finished, redacted line.
_RENDERED = "fusionhub_rendered"
# The processors of configure_logging's last JSON setup: while structlog runs exactly these,
# EventLog.emit may build a flat event's line itself (`fusionhub.observability.jsonline`).
_json_chain: list[Any] | None = None  # a copy: the configured list may be changed in place


# structlog's registry of the context variables bind_contextvars made (its own; None if it moved).
_bound_contextvars: dict[str, Any] | None = getattr(structlog.contextvars, "_CONTEXT_VARS", None)


class _ConfigView:
    """`structlog.get_config()` under the attribute names of structlog's live configuration."""

    __slots__ = ("default_context_class", "default_processors", "default_wrapper_class", "logger_factory")

    def __init__(self) -> None:
        config = structlog.get_config()
        self.default_processors = config["processors"]
        self.default_wrapper_class = config["wrapper_class"]
        self.default_context_class = config["context_class"]
        self.logger_factory = config["logger_factory"]


# structlog's live configuration (`configure` and `reset_defaults` set its attributes in place):
# reading four attributes instead of `get_config()`, which builds a dict per call, twice per API
# call. A structlog that keeps it elsewhere is read through `get_config()`.
_live_config: Any = getattr(getattr(structlog, "_config", None), "_CONFIG", None)
if not all(hasattr(_live_config, name) for name in _ConfigView.__slots__):
    _live_config = None


def _config() -> Any:
    return _live_config if _live_config is not None else _ConfigView()


_second: tuple[int, str] = (-1, "")  # the last second stamped, and its text up to the seconds


def _utc_stamp() -> str:
    """What TimeStamper(fmt="iso", utc=True) writes (datetime.isoformat: microseconds unless 0), the
    date and time of day formatted once per second."""
    global _second
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    if _second[0] != seconds:
        _second = (seconds, datetime.fromtimestamp(seconds, tz=UTC).isoformat().removesuffix("+00:00"))
    # %-formatting: an f-string's `:06d` parses its format spec per call, at twice the cost of the rest.
    return "%s.%06dZ" % (_second[1], micros) if micros else _second[1] + "Z"  # noqa: UP031


class _HandedToStdlib:
    """The last structlog processor: render the line once, then hand it to stdlib logging as the
    record's message (so stdlib handlers, filters and test captures still see every event), marked
    so that our handler writes it as it is instead of building and rendering the event again.
    `EventLog.emit` calls `renderer` itself when our handler is the only one listening."""

    __slots__ = ("renderer",)

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        return (self.renderer(logger, method, event_dict),), {"extra": {_RENDERED: True}}


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """Lines of structlog events arrive rendered; stdlib records of other libraries are rendered here."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, _RENDERED, False):
            return record.getMessage()
        return super().format(record)


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
    global _json_chain
    processors = [
        structlog.stdlib.filter_by_level,  # drop below-level events before any work is done
        *_shared(),
        _HandedToStdlib(renderer),
    ]
    _json_chain = list(processors) if chosen == "json" else None
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # EventLog caches per configuration instead
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        _Formatter(
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


class EventLog:
    """A structlog logger for hot paths (one event per API call).

    It binds one logger per structlog configuration instead of one per event (what a
    `structlog.get_logger()` proxy does), and says before an event is built whether the
    configuration would drop it, so a filtered DEBUG event costs a level check.
    """

    __slots__ = ("_bound", "_key", "_stdlib", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)
        self._key: tuple[Any, ...] = ()
        self._bound: Any = None

    def logger(self) -> Any:
        """The bound logger of the current configuration (rebound when structlog is reconfigured)."""
        return self._current(_config())

    def enabled(self, level: int) -> bool:
        """False when the configuration's first processor (`filter_by_level`) would drop an event of
        `level`: the caller then skips building it."""
        if self._stdlib.isEnabledFor(level):
            return True
        processors = _config().default_processors
        return not (processors and processors[0] is structlog.stdlib.filter_by_level)

    def at(self, level: int) -> Any | None:
        """The bound logger, or None when an event of `level` would be dropped (`enabled`)."""
        return self._current(_config()) if self.enabled(level) else None

    def emit(self, level: int, event: str, fields: dict[str, Any]) -> None:
        """Log `event` with `fields` (a dict the call hands over: it becomes the event) at `level`.

        When our handler is the only one that would see the record, the line goes through the
        configured processors and straight to the handler's stream: the same line, without
        structlog's bound-logger call and a stdlib LogRecord. Otherwise (another handler, a
        filter, pytest's caplog, a configuration of the host's own) the event is logged as usual.
        """
        if not self.enabled(level):
            return
        config = _config()
        method = _METHODS[level]
        handler = self._sole_handler(config, level)
        if handler is None:
            getattr(self._current(config), method)(event, **fields)
            return
        processors = config.default_processors
        event_dict: Any = fields
        event_dict["event"] = event
        line = self._line(processors, method, event_dict)  # scrubbed already
        if line is None:
            for processor in processors[1:-1]:
                event_dict = processor(self._stdlib, method, event_dict)
            # The whole line is scrubbed too, as the record factory scrubs every stdlib message.
            line = scrub(processors[-1].renderer(self._stdlib, method, event_dict))
        lock = handler.lock
        assert lock is not None  # _sole_handler checked it
        with lock:  # as Handler.acquire and release would take it, without their two calls
            try:
                stream = handler.stream
                stream.write(line + handler.terminator)
                if hasattr(stream, "flush"):  # StreamHandler.flush, without taking the lock we hold again
                    stream.flush()
            except Exception:  # as StreamHandler.emit does: the handler reports it, the call goes on
                handler.handleError(self._stdlib.makeRecord(self.name, level, "", 0, line, (), None))

    def _line(self, processors: list[Any], method: str, event_dict: dict[str, Any]) -> str | None:
        """The line of configure_logging's JSON chain, built without running it when the event is flat
        (None: run the processors). The chain's steps, in its order: context variables, logger
        name, level, timestamp; a stack or traceback to render, and the processors do it all."""
        # A list to a list: element by element, identity first, no tuple built per event.
        if _json_chain is None or processors != _json_chain:
            return None
        if _bound_contextvars is None or _bound_contextvars:  # none ever bound: nothing to merge
            structlog.contextvars.merge_contextvars(self._stdlib, method, event_dict)  # in place
        event_dict["logger"] = self.name
        event_dict["level"] = method
        event_dict["timestamp"] = _utc_stamp()
        if "stack_info" in event_dict or "exc_info" in event_dict:
            return None
        return jsonline.render(event_dict)

    def _sole_handler(self, config: Any, level: int) -> logging.StreamHandler[Any] | None:
        """configure_logging's handler when it alone would receive this logger's record at `level`
        from structlog's stdlib chain as configure_logging set it up; else None."""
        processors = config.default_processors
        if not (
            processors
            and processors[0] is structlog.stdlib.filter_by_level
            and type(processors[-1]) is _HandedToStdlib
            and config.default_wrapper_class is structlog.stdlib.BoundLogger
            and type(config.logger_factory) is structlog.stdlib.LoggerFactory
        ):
            return None
        logger: logging.Logger | None = self._stdlib
        if logger is None or logger.disabled or logger.filters:
            return None
        root = logging.root
        while logger is not None and logger is not root:  # the records climb to the root unstopped
            if logger.handlers or not logger.propagate:
                return None
            logger = logger.parent
        if logger is None or len(root.handlers) != 1:
            return None
        handler = root.handlers[0]
        if (
            type(handler) is not logging.StreamHandler
            or handler.name != _HANDLER_NAME
            or handler.filters
            or level < handler.level
            or type(handler.formatter) is not _Formatter
            or handler.lock is None
        ):
            return None
        return handler

    def _current(self, config: Any) -> Any:
        key = (
            config.default_processors,
            config.default_wrapper_class,
            config.logger_factory,
            config.default_context_class,
        )
        if len(self._key) != len(key) or not all(map(operator.is_, key, self._key)):
            self._bound, self._key = structlog.get_logger(self.name).bind(), key
        return self._bound


def get_logger(name: str = "fusionhub") -> Any:
    return structlog.get_logger(name)
