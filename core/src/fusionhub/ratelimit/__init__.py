"""Token-bucket rate limiting shared by every store's HTTP client.

Server feedback helpers live in `fusionhub.ratelimit.feedback` (imported on demand: they
read HTTP responses).
"""

from fusionhub.ratelimit.bucket import TokenBucket
from fusionhub.ratelimit.limiter import Limiter, LimiterStats, Simulation
from fusionhub.ratelimit.shapes import shapes_for
from fusionhub.ratelimit.simulate import scaled, simulate_rate_limit
from fusionhub.ratelimit.store import BucketShape, BucketStore, Charge, MemoryBucketStore

__all__ = [
    "BucketShape",
    "BucketStore",
    "Charge",
    "Limiter",
    "LimiterStats",
    "MemoryBucketStore",
    "Simulation",
    "TokenBucket",
    "scaled",
    "shapes_for",
    "simulate_rate_limit",
]
