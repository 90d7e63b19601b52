"""The series: one `Metrics` per process, fed by the observer hooks and read by the exporter.

Labels are what an operator groups by (platform, store, capability, outcome); never a path,
an id of a product or order, or anything from a payload, so a series' count stays bounded by
the stores and capabilities a host has. Store labels are store ids (what the records carry).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from fusionhub.plugin import Alert, ApiCall, CapabilityCall, JobSettled, QueueDepth

NAMESPACE = "fusionhub"
# Seconds: a sandbox answers in a millisecond, a platform's bulk export may take a minute.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
TOO_MANY_REQUESTS = 429


class Metrics:
    """Every series this plugin exports, in a registry of its own (never the library's global one)."""

    def __init__(self, *, process_collectors: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process_collectors:  # CPU, memory, open files, GC: what any Prometheus target reports
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        r = self.registry
        self.capability_calls = Counter(
            "capability_calls",
            "Capability calls, by outcome: ok, error, or parked (handed to child jobs, resumed later).",
            ["platform", "store", "capability", "level", "mode", "outcome"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.capability_errors = Counter(
            "capability_errors",
            "Failed capability calls by error category (rate_limit, auth, validation, not_found, transient, ...).",
            ["platform", "store", "capability", "category"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.capability_seconds = Histogram(
            "capability_call_duration_seconds",
            "Capability call latency, every request and retry of the call included.",
            ["platform", "store", "capability"],
            namespace=NAMESPACE,
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.api_requests = Counter(
            "api_requests",
            "HTTP requests to platforms, by status code ('none': no response, see api_request_errors).",
            ["platform", "store", "capability", "method", "status"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.api_errors = Counter(
            "api_request_errors",
            "HTTP requests to platforms that got no usable answer, by what went wrong.",
            ["platform", "store", "error"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.api_seconds = Histogram(
            "api_request_duration_seconds",
            "HTTP request latency to platforms (retries of one request included).",
            ["platform", "store", "capability"],
            namespace=NAMESPACE,
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.api_throttled = Counter(
            "api_throttled",
            "HTTP 429 answers: the platform refused a request for its rate limit.",
            ["platform", "store"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.api_retries = Counter(
            "api_retries",
            "Retries of HTTP requests (transient errors, 429s).",
            ["platform", "store"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.rate_limit_cost = Counter(
            "rate_limit_cost",
            "Rate-limit tokens spent (requests, or cost points where the platform counts cost).",
            ["platform", "store"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.bucket_level = Gauge(
            "rate_limit_bucket_tokens",
            "Tokens left in the store's bucket after its latest request (process-local buckets only).",
            ["platform", "store"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.jobs_settled = Counter(
            "jobs_settled",
            "Job runs settled by this worker, by outcome: succeeded, failed, cancelled, waiting (on per-item "
            "jobs), queued (to run again), throttled (queued again by a rate limit), lost_lease.",
            ["platform", "store", "capability", "outcome"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.job_failures = Counter(
            "job_failures",
            "Jobs that ended failed, by error category (auth, validation, not_found, transient, ...).",
            ["platform", "store", "capability", "category"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.job_seconds = Histogram(
            "job_run_duration_seconds",
            "How long one run of a job took in the worker, settling included.",
            ["platform", "capability"],
            namespace=NAMESPACE,
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.queue_jobs = Gauge(
            "queue_jobs",
            "Unfinished jobs in the shared queue by state (queued, running, waiting), as this worker last "
            "counted them: every worker reports the same queue, aggregate with max.",
            ["platform", "store", "state"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.queue_due = Gauge(
            "queue_due_jobs",
            "Queued jobs whose time has come (the backlog), as this worker last counted them.",
            ["platform", "store"],
            namespace=NAMESPACE,
            registry=r,
        )
        self._depth_seen: set[tuple[str, str, str]] = set()
        self.alerts = Counter(
            "alerts",
            "Alerts raised (fusionhub_on_alert), such as a capability's error rate over its threshold.",
            ["kind", "platform", "capability"],
            namespace=NAMESPACE,
            registry=r,
        )

    def api_call(self, call: ApiCall) -> None:
        where = (call.plugin, call.store_id)
        status = str(call.status) if call.status is not None else "none"
        self.api_requests.labels(*where, call.capability or "", call.method, status).inc()
        self.api_seconds.labels(*where, call.capability or "").observe(call.duration_ms / 1000)
        self.rate_limit_cost.labels(*where).inc(max(call.cost, 0.0))
        if call.retries:
            self.api_retries.labels(*where).inc(call.retries)
        if call.status == TOO_MANY_REQUESTS:
            self.api_throttled.labels(*where).inc()
        if call.error is not None:
            self.api_errors.labels(*where, _error_kind(call.error)).inc()
        if call.bucket_level is not None:
            self.bucket_level.labels(*where).set(call.bucket_level)

    def capability_call(self, call: CapabilityCall) -> None:
        where = (call.plugin, call.store_id, call.capability)
        outcome = "parked" if call.parked else "ok" if call.ok else "error"
        self.capability_calls.labels(*where, call.level, call.mode, outcome).inc()
        self.capability_seconds.labels(*where).observe(call.duration_ms / 1000)
        if outcome == "error":
            self.capability_errors.labels(*where, call.error_category or "unknown").inc()

    def job_settled(self, job: JobSettled) -> None:
        self.jobs_settled.labels(job.platform, job.store_id, job.capability, job.outcome).inc()
        self.job_seconds.labels(job.platform, job.capability).observe(job.duration_ms / 1000)
        if job.outcome == "failed":
            self.job_failures.labels(job.platform, job.store_id, job.capability, job.error_category or "unknown").inc()

    def queue_depth(self, depth: QueueDepth) -> None:
        """The latest count; a store and state seen before and absent now is set to zero, not dropped."""
        now = {(c.platform, c.store_id, c.state): c for c in depth.counts}
        for platform, store, state in self._depth_seen - now.keys():
            self.queue_jobs.labels(platform, store, state).set(0)
            if state == "queued":
                self.queue_due.labels(platform, store).set(0)
        for (platform, store, state), count in now.items():
            self.queue_jobs.labels(platform, store, state).set(count.jobs)
            if state == "queued":
                self.queue_due.labels(platform, store).set(count.due)
        self._depth_seen |= now.keys()

    def alert(self, alert: Alert) -> None:
        self.alerts.labels(alert.kind, alert.plugin or "", alert.capability or "").inc()


def _error_kind(error: str) -> str:
    """The exception's type name only ("ConnectTimeout: ..." → "ConnectTimeout"): messages are unbounded."""
    return error.split(":", 1)[0].strip()[:64] or "unknown"
