"""Token-bucket rate limiting shared by every store's HTTP client."""

from fusionhub.ratelimit.bucket import TokenBucket
from fusionhub.ratelimit.limiter import Limiter, LimiterStats
from fusionhub.ratelimit.shapes import shapes_for
from fusionhub.ratelimit.store import BucketShape, BucketStore, Charge, MemoryBucketStore

__all__ = [
    "BucketShape",
    "BucketStore",
    "Charge",
    "Limiter",
    "LimiterStats",
    "MemoryBucketStore",
    "TokenBucket",
    "shapes_for",
]
