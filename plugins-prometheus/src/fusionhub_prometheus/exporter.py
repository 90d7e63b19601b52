"""The HTTP endpoint: Prometheus' text format at `http://HOST:PORT/metrics`, from a thread."""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import start_http_server

from fusionhub_prometheus.metrics import Metrics

HOST_ENV = "FUSIONHUB_METRICS_HOST"
DEFAULT_HOST = "127.0.0.1"  # loopback unless the operator opens it (0.0.0.0 in a container)


def serve(metrics: Metrics, port: int, host: str | None = None) -> Callable[[], None]:
    """Serve `metrics` on host:port (host: FUSIONHUB_METRICS_HOST, else loopback); returns the stop.

    A port that cannot be bound raises OSError, which `fusionhub worker` reports with the port.
    """
    addr = host or os.environ.get(HOST_ENV) or DEFAULT_HOST
    server, thread = start_http_server(port, addr=addr, registry=metrics.registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
