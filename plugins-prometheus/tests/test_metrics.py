"""The series from the records core hands observers, the endpoint over loopback, the plugin as loaded."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fusionhub.plugin import Alert, ApiCall, CapabilityCall, JobSettled, QueueCount, QueueDepth
from fusionhub.testing.conformance import load_plugin
from fusionhub_prometheus.exporter import serve
from fusionhub_prometheus.metrics import Metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(process_collectors=False)


def api(status: int | None, **kw: object) -> ApiCall:
    fields: dict[str, object] = {
        "plugin": "acme",
        "store_id": "s1",
        "capability": "list_products",
        "method": "GET",
        "path": "/products",
        "status": status,
        "duration_ms": 40.0,
    }
    return ApiCall(**{**fields, **kw})  # type: ignore[arg-type]


def test_api_calls_count_status_429s_retries_cost_and_bucket_level(metrics: Metrics) -> None:
    metrics.api_call(api(200, cost=3.0, bucket_level=37.5))
    metrics.api_call(api(429, retries=2, bucket_level=0.0))
    metrics.api_call(api(None, capability=None, error="ConnectTimeout", duration_ms=5000.0))
    found = samples(generate_latest(metrics.registry).decode())
    where = {"platform": "acme", "store": "s1"}
    req = "fusionhub_api_requests_total"
    assert value(found, req, **where, capability="list_products", method="GET", status="200") == 1
    assert value(found, req, **where, capability="list_products", method="GET", status="429") == 1
    assert value(found, req, **where, capability="", method="GET", status="none") == 1
    assert value(found, "fusionhub_api_throttled_total", **where) == 1
    assert value(found, "fusionhub_api_retries_total", **where) == 2
    assert value(found, "fusionhub_rate_limit_cost_total", **where) == 3 + 1 + 1
    assert value(found, "fusionhub_rate_limit_bucket_tokens", **where) == 0.0  # the latest level
    assert value(found, "fusionhub_api_request_errors_total", **where, error="ConnectTimeout") == 1
    hist = "fusionhub_api_request_duration_seconds"
    assert value(found, f"{hist}_count", **where, capability="list_products") == 2
    assert value(found, f"{hist}_bucket", **where, capability="", le="2.5") == 0  # 5 s is slower
    assert value(found, f"{hist}_bucket", **where, capability="", le="5.0") == 1


def test_capability_calls_by_outcome_errors_by_category_and_latency(metrics: Metrics) -> None:
    def call(capability: str, ok: bool, **kw: object) -> CapabilityCall:
        base = {"plugin": "acme", "store_id": "s1", "level": "native", "duration_ms": 12.0}
        return CapabilityCall(capability=capability, ok=ok, **{**base, **kw})  # type: ignore[arg-type]

    metrics.capability_call(call("get_product", True, mode="automated"))
    metrics.capability_call(call("get_product", False, error_category="not_found"))
    metrics.capability_call(call("bulk_update", False, parked=True))
    found = samples(generate_latest(metrics.registry).decode())
    calls = "fusionhub_capability_calls_total"
    common = {"platform": "acme", "store": "s1", "level": "native"}
    assert value(found, calls, **common, capability="get_product", mode="automated", outcome="ok") == 1
    assert value(found, calls, **common, capability="get_product", mode="interactive", outcome="error") == 1
    assert value(found, calls, **common, capability="bulk_update", mode="interactive", outcome="parked") == 1
    errors = "fusionhub_capability_errors_total"
    assert value(found, errors, platform="acme", store="s1", capability="get_product", category="not_found") == 1
    assert value(found, errors, platform="acme", store="s1", capability="bulk_update", category="unknown") is None
    hist = "fusionhub_capability_call_duration_seconds"
    assert value(found, f"{hist}_sum", platform="acme", store="s1", capability="get_product") == pytest.approx(0.024)


def test_job_runs_count_by_outcome_failures_by_category_and_run_time(metrics: Metrics) -> None:
    def run(capability: str, outcome: str, **kw: object) -> JobSettled:
        base = {"job_id": "j", "store_id": "s1", "platform": "acme", "mode": "automated", "attempts": 1}
        fields = {"capability": capability, "outcome": outcome, "duration_ms": 30.0, **base, **kw}
        return JobSettled(**fields)  # type: ignore[arg-type]

    metrics.job_settled(run("list_products", "succeeded"))
    metrics.job_settled(run("list_products", "succeeded"))
    metrics.job_settled(run("get_product", "failed", error_category="not_found"))
    metrics.job_settled(run("bulk_update", "throttled", duration_ms=2.0))
    found = samples(generate_latest(metrics.registry).decode())
    where = {"platform": "acme", "store": "s1"}
    settled = "fusionhub_jobs_settled_total"
    assert value(found, settled, **where, capability="list_products", outcome="succeeded") == 2
    assert value(found, settled, **where, capability="get_product", outcome="failed") == 1
    assert value(found, settled, **where, capability="bulk_update", outcome="throttled") == 1
    failures = "fusionhub_job_failures_total"
    assert value(found, failures, **where, capability="get_product", category="not_found") == 1
    assert value(found, failures, **where, capability="bulk_update", category="unknown") is None  # not a failure
    hist = "fusionhub_job_run_duration_seconds"
    assert value(found, f"{hist}_sum", platform="acme", capability="list_products") == pytest.approx(0.06)


def test_queue_depth_gauges_follow_the_latest_count_and_zero_what_emptied(metrics: Metrics) -> None:
    metrics.queue_depth(
        QueueDepth(
            at=0.0,
            counts=(
                QueueCount("acme", "s1", "queued", jobs=5, due=3),
                QueueCount("acme", "s1", "running", jobs=2),
                QueueCount("acme", "s2", "waiting", jobs=1),
            ),
        )
    )
    found = samples(generate_latest(metrics.registry).decode())
    depth = "fusionhub_queue_jobs"
    assert value(found, depth, platform="acme", store="s1", state="queued") == 5
    assert value(found, depth, platform="acme", store="s1", state="running") == 2
    assert value(found, depth, platform="acme", store="s2", state="waiting") == 1
    assert value(found, "fusionhub_queue_due_jobs", platform="acme", store="s1") == 3
    metrics.queue_depth(QueueDepth(at=5.0, counts=(QueueCount("acme", "s1", "running", jobs=1),)))
    found = samples(generate_latest(metrics.registry).decode())
    assert value(found, depth, platform="acme", store="s1", state="queued") == 0  # emptied, still reported
    assert value(found, depth, platform="acme", store="s1", state="running") == 1
    assert value(found, depth, platform="acme", store="s2", state="waiting") == 0
    assert value(found, "fusionhub_queue_due_jobs", platform="acme", store="s1") == 0


def test_alerts_are_counted_by_kind(metrics: Metrics) -> None:
    metrics.alert(Alert(kind="error_rate", message="get_product fails 60%", plugin="acme", capability="get_product"))
    found = samples(generate_latest(metrics.registry).decode())
    assert value(found, "fusionhub_alerts_total", kind="error_rate", platform="acme", capability="get_product") == 1


@pytest.fixture
def served(metrics: Metrics) -> Iterator[tuple[int, object]]:
    port = free_port()
    stop = serve(metrics, port, host="127.0.0.1")
    try:
        yield port, stop
    finally:
        stop()


def test_the_endpoint_serves_the_series_over_loopback_and_stops(metrics: Metrics, served: tuple[int, object]) -> None:
    port, _ = served
    metrics.api_call(api(429))
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    assert 'fusionhub_api_throttled_total{platform="acme",store="s1"} 1.0' in response.text


def test_a_taken_port_is_an_os_error(metrics: Metrics, served: tuple[int, object]) -> None:
    port, _ = served
    with pytest.raises(OSError, match="in use") as raised:
        serve(metrics, port, host="127.0.0.1")
    assert raised.value.errno == errno.EADDRINUSE


def test_stop_closes_the_port(metrics: Metrics) -> None:
    port = free_port()
    serve(metrics, port, host="127.0.0.1")()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_installed_it_loads_as_an_observer_that_starts_an_exporter_only_with_a_port() -> None:
    registry, record = load_plugin("prometheus")  # through its entry point, as every host finds it
    assert record is not None and (record.status, record.kind) == ("loaded", "observer"), record
    assert registry.hook.fusionhub_start_exporters(process="worker", metrics_port=None) == []  # None results dropped
    port = free_port()
    (stop,) = registry.hook.fusionhub_start_exporters(process="worker", metrics_port=port)
    try:
        registry.hook.fusionhub_on_api_call(call=api(503, plugin="loaded-check"))
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'platform="loaded-check"' in text and "process_cpu_seconds_total" in text
    finally:
        stop()
