"""The per-call logging path (issue 18): events rendered once yet seen by stdlib handlers, one bound
logger per configuration, a level check before an event is built, and redaction that skips only
values that cannot hold a secret."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from fusionhub.observability import configure_logging, logs
from fusionhub.observability.logs import EventLog
from fusionhub.observability.redaction import REDACTED, redact, redact_fields, register_secret

CANARY = "canary-fastpath-Jq4Wm8Rt"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "fusionhub"]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()


@pytest.fixture(params=["live", "get_config"])
def config_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The configuration read from structlog's live object, or through get_config() (a structlog
    that keeps it elsewhere): the same answers either way."""
    assert logs._live_config is not None  # this structlog's: the per-call path reads it
    if request.param == "get_config":
        monkeypatch.setattr(logs, "_live_config", None)
    return str(request.param)


class Records(logging.Handler):
    """Another stdlib handler on the root logger, as an application (or pytest's caplog) adds one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_event_is_one_redacted_line_and_other_handlers_still_get_its_record() -> None:
    register_secret(CANARY)
    out = io.StringIO()
    configure_logging("json", level="INFO", stream=out)
    other = Records()
    logging.getLogger().addHandler(other)
    try:
        EventLog("fusionhub.test").logger().info("api_call", path=f"/p?k={CANARY}", api_key="plain-key-1", status=200)
    finally:
        logging.getLogger().removeHandler(other)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["event"] == "api_call" and event["status"] == 200 and event["level"] == "info"
    assert event["api_key"] == REDACTED and event["path"] == f"/p?k={REDACTED}"
    assert event["logger"] == "fusionhub.test" and event["timestamp"]
    (record,) = other.records
    assert record.levelno == logging.INFO and record.name == "fusionhub.test"
    assert record.getMessage() == lines[0]  # the same finished line, secrets already gone
    assert CANARY not in repr(record.__dict__)


def test_stdlib_records_of_other_libraries_are_still_rendered_by_the_handler() -> None:
    out = io.StringIO()
    configure_logging("json", level="INFO", stream=out)
    logging.getLogger("some.library").warning("disk %s", "full")
    event = json.loads(out.getvalue())
    assert event["event"] == "disk full" and event["level"] == "warning" and event["logger"] == "some.library"


def test_the_level_is_checked_before_an_event_is_built(config_read: str) -> None:
    events = EventLog("fusionhub")
    configure_logging("json", level="INFO", stream=io.StringIO())
    assert events.at(logging.DEBUG) is None and not events.enabled(logging.DEBUG)
    assert events.at(logging.INFO) is not None and events.enabled(logging.INFO)
    logging.getLogger().setLevel(logging.DEBUG)
    assert events.at(logging.DEBUG) is not None and events.enabled(logging.DEBUG)
    # A configuration that does not filter by level first gets every event, as structlog would.
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    logging.getLogger().setLevel(logging.ERROR)
    assert events.at(logging.DEBUG) is not None and events.enabled(logging.DEBUG)


def test_the_bound_logger_follows_a_new_configuration(config_read: str) -> None:
    events = EventLog("fusionhub")
    first, second = io.StringIO(), io.StringIO()
    configure_logging("json", level="INFO", stream=first)
    logger = events.logger()
    assert events.logger() is logger  # bound once per configuration
    logger.info("one")
    configure_logging("console", level="INFO", stream=second)
    assert events.logger() is not logger
    events.logger().info("two")
    assert json.loads(first.getvalue())["event"] == "one"
    assert "two" in second.getvalue() and not second.getvalue().lstrip().startswith("{")


def test_redaction_passes_numbers_and_scrubs_everything_else() -> None:
    register_secret(CANARY)
    fields = {
        "status": 200,
        "duration_ms": 1.5,
        "ok": True,
        "error": None,
        "password": 12345678,  # a secret key's value goes whatever its type
        "path": f"/x/{CANARY}",
        "nested": {"token": "t-plain", "items": [CANARY, 3]},
        7: CANARY,  # a key that is not a string
    }
    clean = redact_fields(fields)
    assert clean == {
        "status": 200,
        "duration_ms": 1.5,
        "ok": True,
        "error": None,
        "password": REDACTED,
        "path": f"/x/{REDACTED}",
        "nested": {"token": REDACTED, "items": [REDACTED, 3]},
        7: REDACTED,
    }
    assert redact(fields) == clean
    assert fields["path"] == f"/x/{CANARY}"  # a copy: the caller's dict is untouched


@contextlib.contextmanager
def alone() -> Iterator[io.StringIO]:
    """configure_logging's handler as the root's only one. Entered in the test's body: pytest adds
    its capture handlers for the call phase, after fixtures are set up."""
    out = io.StringIO()
    configure_logging("json", level="INFO", stream=out)
    root = logging.getLogger()
    others = [h for h in root.handlers if h.get_name() != "fusionhub"]
    for handler in others:
        root.removeHandler(handler)
    try:
        yield out
    finally:
        for handler in others:
            root.addHandler(handler)


def test_with_our_handler_alone_the_line_is_written_directly_and_matches_the_record_path(config_read: str) -> None:
    register_secret(CANARY)
    with alone() as out:
        _direct_then_through_a_record(out)


def _direct_then_through_a_record(out: io.StringIO) -> None:
    events = EventLog("fusionhub.direct")
    made: list[logging.LogRecord] = []
    previous = logging.getLogRecordFactory()

    def counting(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        made.append(record)
        return record

    logging.setLogRecordFactory(counting)
    try:
        events.emit(logging.INFO, "api_call", {"path": f"/p?k={CANARY}", "api_key": "plain-key-1", "status": 200})
        assert made == []  # no stdlib record: our handler was the only listener
        other = Records()
        logging.getLogger().addHandler(other)
        try:
            events.emit(logging.INFO, "api_call", {"path": f"/p?k={CANARY}", "api_key": "plain-key-1", "status": 200})
        finally:
            logging.getLogger().removeHandler(other)
        assert len(other.records) == 1  # another handler: the event took the stdlib path
        events.emit(logging.DEBUG, "api_call", {"status": 200})  # below the level: nothing
    finally:
        logging.setLogRecordFactory(previous)
    direct, through_record = (json.loads(line) for line in out.getvalue().splitlines())
    assert CANARY not in out.getvalue()
    assert direct.pop("timestamp") and through_record.pop("timestamp")
    assert direct == through_record
    assert direct["api_key"] == REDACTED and direct["logger"] == "fusionhub.direct" and direct["level"] == "info"


def test_a_filter_or_a_handler_on_the_way_to_the_root_takes_the_stdlib_path(config_read: str) -> None:
    with alone() as out:
        _filtered_then_another_handler(out)


def _filtered_then_another_handler(out: io.StringIO) -> None:
    events = EventLog("fusionhub.filtered")
    stdlib_logger = logging.getLogger("fusionhub.filtered")
    stdlib_logger.addFilter(lambda record: False)  # a filter drops it: only the stdlib path honours that
    try:
        events.emit(logging.INFO, "dropped", {})
    finally:
        stdlib_logger.filters.clear()
    assert out.getvalue() == ""
    other = Records()
    logging.getLogger("fusionhub").addHandler(other)
    try:
        events.emit(logging.WARNING, "seen", {"n": 1})
    finally:
        logging.getLogger("fusionhub").removeHandler(other)
    assert [r.levelno for r in other.records] == [logging.WARNING]
    assert json.loads(out.getvalue())["event"] == "seen"


@pytest.mark.parametrize("micros", [0, 7, 120_000, 999_999])
def test_the_timestamp_is_the_one_timestampers_iso_utc_writes(micros: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    for seconds in (1_796_270_507, 1_796_270_508):  # one second, then the next: the cached prefix moves on
        ns = (seconds * 1_000_000 + micros) * 1000 + 999  # nanoseconds below a microsecond are dropped
        monkeypatch.setattr(logs.time, "time_ns", lambda ns=ns: ns)
        moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)
        assert logs._utc_stamp() == moment.isoformat().replace("+00:00", "Z")  # TimeStamper(fmt="iso", utc=True)


def test_an_observer_hook_that_fails_is_logged_and_the_call_goes_on() -> None:
    from fusionhub.clock import SYSTEM_CLOCK
    from fusionhub.observability import Observer
    from fusionhub.observability.records import ApiCall, CapabilityCall

    def failing(record: object) -> None:
        raise RuntimeError(f"observer bug {CANARY}")

    out = io.StringIO()
    configure_logging("json", level="INFO", stream=out)
    observer = Observer(SYSTEM_CLOCK, on_api_call=failing, on_capability_call=failing)
    observer.api_call(ApiCall("shop", "s1", "get_product", "GET", "/p", 200, 1.0))
    observer.capability_call(CapabilityCall("shop", "s1", "get_product", "native", True, 2.0))
    failed = [json.loads(line) for line in out.getvalue().splitlines() if "observer_failed" in line]
    assert [(e["record"], e["error"], e["level"]) for e in failed] == [
        ("ApiCall", "RuntimeError", "error"),
        ("CapabilityCall", "RuntimeError", "error"),
    ]
    assert CANARY not in out.getvalue()  # the exception's text is never logged
    assert observer.counters[("shop", "get_product")].ok == 1 and observer.traffic["s1"].calls == 1
