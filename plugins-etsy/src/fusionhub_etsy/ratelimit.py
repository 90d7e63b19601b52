"""Etsy's rate headers, as data: core corrects the store's buckets from them after every response
and reads a 429's wait from them (`Retry-After` first, which Etsy may not send [unverified]).

Etsy counts per second (QPS, bucket "window") and per day (QPD, bucket "day"); every response
carries both limits and what is left of them.
"""

from __future__ import annotations

from fusionhub.plugin import HeaderLimit, RateHeaders

RATE_HEADERS = RateHeaders(
    (
        HeaderLimit("window", per=1.0, limit="x-limit-per-second", remaining="x-remaining-this-second"),
        HeaderLimit("day", per=86_400.0, limit="x-limit-per-day", remaining="x-remaining-today", quota=True),
    ),
    throttled="window",  # a 429 without headers is most likely the per-second window
)
