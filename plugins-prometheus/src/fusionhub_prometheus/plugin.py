"""The entry point (group `fusionhub.plugins`, name `prometheus`): observer hooks and the exporter.

No manifest: this plugin answers no capability, it counts everyone's.
"""

from __future__ import annotations

from collections.abc import Callable

from fusionhub.plugin import Alert, ApiCall, CapabilityCall, JobSettled, QueueDepth, hookimpl
from fusionhub_prometheus.exporter import serve
from fusionhub_prometheus.metrics import Metrics

METRICS = Metrics()
"""This process's series (one registry per process, like the hub's own observer)."""


@hookimpl
def fusionhub_on_api_call(call: ApiCall) -> None:
    METRICS.api_call(call)


@hookimpl
def fusionhub_on_capability_call(call: CapabilityCall) -> None:
    METRICS.capability_call(call)


@hookimpl
def fusionhub_on_job_settled(job: JobSettled) -> None:
    METRICS.job_settled(job)


@hookimpl
def fusionhub_on_queue_depth(depth: QueueDepth) -> None:
    METRICS.queue_depth(depth)


@hookimpl
def fusionhub_on_alert(alert: Alert) -> None:
    METRICS.alert(alert)


@hookimpl
def fusionhub_start_exporters(process: str, metrics_port: int | None) -> Callable[[], None] | None:
    """Serve /metrics when the user gave a port; without one, the series are only counted."""
    if metrics_port is None:
        return None
    return serve(METRICS, metrics_port)
