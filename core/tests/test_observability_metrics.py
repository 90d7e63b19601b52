"""Counters per (plugin, capability), per-store rate-limit use, the error-rate alert, log setup."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from fake_platform import GET, FakeServer, connect, make_hub

from fusionhub import hookimpl
from fusionhub.clock import VirtualClock
from fusionhub.errors import NotFound
from fusionhub.observability import ErrorRateMonitor, Observer, configure_logging
from fusionhub.observability.records import Alert, CapabilityCall


class AlertSink:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    @hookimpl
    def fusionhub_on_alert(self, alert: Alert) -> None:
        self.alerts.append(alert)


class BrokenObserver:
    @hookimpl
    def fusionhub_on_capability_call(self, call: object) -> None:
        raise RuntimeError("observer bug")


@pytest.fixture
def clean_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "fusionhub"]:
        root.removeHandler(handler)
    structlog.reset_defaults()


def test_stats_count_successes_failures_and_rate_limit_use(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="stats-key-1")
    hub = make_hub(virtual_clock, server)
    hub.registry.pm.register(BrokenObserver(), "broken")  # must not break the calls it observes
    store = connect(hub, server)
    hub.set_cache_ttl(GET, 0)

    async def main() -> None:
        for pid in ["1", "1", "nope"]:
            with contextlib.suppress(NotFound):
                await hub.execute(store, GET, {"product_id": pid})

    virtual_clock.run(main())
    stats = hub.stats()
    get = stats["capabilities"]["fakeshop.get_product"]
    assert (get["calls"], get["ok"], get["failed"], get["errors"]) == (3, 2, 1, {"not_found": 1})
    assert get["p50_ms"] is not None and get["max_ms"] >= get["p50_ms"]
    assert stats["traffic"][store.id] == {
        "calls": 3,
        "failed": 1,
        "retries": 0,
        "cost": 3.0,
        "bucket_level": pytest.approx(0.0),
    }
    limits = stats["rate_limits"][store.id]
    assert limits["acquired"] == 3 and limits["waits"] == 2
    assert limits["waited_seconds"] == pytest.approx(0.2, abs=1e-4)

    report = virtual_clock.run(hub.rate_limit_report(store))
    assert report["buckets"]["window"]["capacity"] == 1.0


def test_error_rate_alert_fires_once_over_the_threshold(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="alert-key-1")
    monitor = ErrorRateMonitor(window=60, threshold=0.5, min_calls=4)
    hub = make_hub(virtual_clock, server, error_monitor=monitor)
    sink = AlertSink()
    hub.registry.pm.register(sink, "alerts")
    store = connect(hub, server)
    hub.set_cache_ttl(GET, 0)

    async def call(pid: str) -> None:
        with contextlib.suppress(NotFound):
            await hub.execute(store, GET, {"product_id": pid})

    async def main() -> list[int]:
        counts = []
        for pid in ["1", "x", "1", "x"]:  # 2 of 4 failed: 50 %
            await call(pid)
        counts.append(len(sink.alerts))
        await call("x")  # still over: no second alert
        counts.append(len(sink.alerts))
        await virtual_clock.sleep(120)  # the window forgets
        for pid in ["1"] * 4 + ["x"] * 4:
            await call(pid)
        counts.append(len(sink.alerts))
        return counts

    assert virtual_clock.run(main()) == [1, 1, 2]
    alert = sink.alerts[0]
    assert alert.kind == "error_rate" and alert.plugin == "fakeshop" and alert.capability == "get_product"
    assert alert.details["calls"] == 4 and alert.details["failed"] == 2


def test_json_lines_chosen_by_env(
    monkeypatch: pytest.MonkeyPatch, clean_logging: None, virtual_clock: VirtualClock
) -> None:
    monkeypatch.setenv("FUSIONHUB_LOG_FORMAT", "json")
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    structlog.get_logger("fusionhub").info("hello", refresh_token="rt-plain-value", nested={"password": "pw"})
    logging.getLogger("other.lib").warning("stdlib %s", "too")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines[0]["event"] == "hello" and lines[0]["refresh_token"] == "[redacted]"
    assert lines[0]["nested"] == {"password": "[redacted]"}
    assert lines[1]["event"] == "stdlib too" and lines[1]["level"] == "warning"


def test_console_format_and_bad_format(clean_logging: None) -> None:
    buffer = io.StringIO()
    configure_logging("console", stream=buffer)
    structlog.get_logger("fusionhub").info("hello", api_key="k-plain-value")
    text = buffer.getvalue()
    assert "hello" in text and "k-plain-value" not in text and "[redacted]" in text
    with pytest.raises(ValueError, match="FUSIONHUB_LOG_FORMAT"):
        configure_logging("xml", stream=buffer)


def test_rate_limit_refusals_are_pacing_not_an_error_rate(virtual_clock: VirtualClock) -> None:
    alerts: list[Alert] = []
    observer = Observer(
        virtual_clock, monitor=ErrorRateMonitor(window=60, threshold=0.5, min_calls=4), on_alert=alerts.append
    )

    def call(category: str | None) -> CapabilityCall:
        return CapabilityCall("etsy", "s1", "update_product", "native", category is None, 1.0, category)

    for _ in range(10):  # a worker re-scheduling jobs on its own bucket
        observer.capability_call(call("rate_limit"))
    assert alerts == []
    for category in ["transient", None, "transient", "transient"]:
        observer.capability_call(call(category))
    assert [a.kind for a in alerts] == ["error_rate"]
