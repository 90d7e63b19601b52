"""`simulate_rate_limit`: lower a store's limits for a while, to test how a host copes (spec FAQ)."""

from __future__ import annotations

from typing import Protocol

from fusionhub.contracts import (
    CostBased,
    Dynamic,
    OperationRate,
    RateLimitSpec,
    RequestsPerMinute,
    RequestsPerSecond,
)
from fusionhub.ratelimit.limiter import Limiter, Simulation
from fusionhub.ratelimit.shapes import UNKNOWN_OPERATION


class _HasLimiter(Protocol):
    @property
    def limiter(self) -> Limiter: ...


def scaled(spec: RateLimitSpec, factor: float) -> RateLimitSpec:
    """`spec` with every rate multiplied by `factor` (0 < factor ≤ 1 lowers it)."""
    if factor <= 0:
        raise ValueError("the factor must be positive")
    if isinstance(spec, CostBased):
        # The bucket must still hold the dearest single request, or that request could never run.
        floor = spec.max_query_cost or 0.0
        return spec.model_copy(
            update={"max_cost": max(spec.max_cost * factor, floor), "restore_rate": spec.restore_rate * factor}
        )
    if isinstance(spec, Dynamic):
        return spec.model_copy(
            update={
                "operations": {op: _scaled_op(rate, factor) for op, rate in spec.operations.items()},
                "default": _scaled_op(spec.default or UNKNOWN_OPERATION, factor),
            }
        )
    assert isinstance(spec, RequestsPerSecond | RequestsPerMinute)
    # Stretch the windows rather than shrink the counts: the counts stay whole numbers.
    return spec.model_copy(
        update={
            "window": spec.window / factor,
            "per_day": max(1, int(spec.per_day * factor)) if spec.per_day else None,
            "endpoint_classes": {
                name: limit.model_copy(update={"window": limit.window / factor})
                for name, limit in spec.endpoint_classes.items()
            },
        }
    )


def _scaled_op(rate: OperationRate, factor: float) -> OperationRate:
    return OperationRate(rate=rate.rate * factor, burst=max(1, int(rate.burst * factor)))


def simulate_rate_limit(
    target: Limiter | _HasLimiter,
    factor_or_spec: float | RateLimitSpec,
    duration: float,
) -> float:
    """For `duration` seconds, charge the store's requests to a lower limit too; return when it ends.

    `factor_or_spec` is a factor applied to the store's own limit (0.1 = a tenth) or a whole
    RateLimitSpec. The real buckets keep counting, so the platform never sees more than before.
    A later call replaces an earlier one; `duration` 0 ends the simulation.
    """
    limiter = target if isinstance(target, Limiter) else target.limiter
    if isinstance(factor_or_spec, int | float):
        if limiter.spec is None:
            raise ValueError("the store declares no rate limit to scale: pass a RateLimitSpec instead")
        spec: RateLimitSpec = scaled(limiter.spec, float(factor_or_spec))
    else:
        spec = factor_or_spec
    until = limiter.clock.now() + max(0.0, duration)
    limiter.simulation = Simulation(spec, until) if duration > 0 else None
    return until
