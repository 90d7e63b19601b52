"""Which buckets a request is charged against, derived from a contract's rate-limit spec."""

from __future__ import annotations

from fusionhub.contracts import CostBased, Dynamic, OperationRate, RateLimitSpec, RequestsPerMinute, RequestsPerSecond
from fusionhub.ratelimit.store import BucketShape

DAY = 86_400.0
# An operation missing from a per-operation table gets the most conservative bucket there is.
UNKNOWN_OPERATION = OperationRate(rate=0.0056, burst=1)


def shapes_for(
    store_key: str,
    spec: RateLimitSpec | None,
    *,
    operation: str | None = None,
    endpoint_class: str | None = None,
) -> list[BucketShape]:
    """The buckets one request spends from. No spec: no limit."""
    if spec is None:
        return []
    if isinstance(spec, CostBased):
        return [BucketShape(f"{store_key}:cost", spec.max_cost, spec.rate)]
    if isinstance(spec, Dynamic):
        op = operation or "default"
        rate = spec.operations.get(op) or spec.default or UNKNOWN_OPERATION
        return [BucketShape(f"{store_key}:op:{op}", float(rate.burst), rate.rate)]
    assert isinstance(spec, RequestsPerSecond | RequestsPerMinute)
    # A window of N requests is spent evenly by default (burst 1, refilled N/window per second): that
    # never exceeds N in any window of that length, whether the platform counts by bucket or by window.
    shapes = [BucketShape(f"{store_key}:window", float(spec.window_burst), spec.rate)]
    if spec.per_day:
        shapes.append(BucketShape(f"{store_key}:day", float(spec.per_day), spec.per_day / DAY))
    if endpoint_class is not None and endpoint_class in spec.endpoint_classes:
        extra = spec.endpoint_classes[endpoint_class]
        shapes.append(BucketShape(f"{store_key}:class:{endpoint_class}", float(extra.capacity), extra.rate))
    return shapes
