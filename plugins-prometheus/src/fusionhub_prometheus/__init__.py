"""Prometheus metrics for Fusion Stage Hub: an observer plugin (no manifest, no capabilities).

`fusionhub_prometheus.plugin` (the entry point) holds the hookimpls; `metrics.Metrics` the
series they feed; `exporter` the HTTP endpoint `fusionhub worker --metrics-port` starts.
"""

__version__ = "0.1.0"
