"""Etsy's rate limits in the fake: QPS and QPD per API key (keystring), reported in Etsy's headers.

Every shop connected through one app shares the app's QPS and its 24 h sliding QPD, so the
bucket is keyed by the keystring of `x-api-key`. How Etsy counts a second exactly is not
published; a bucket of `qps` tokens never refuses a client that keeps to `qps` requests per
second, evenly or in bursts of up to `qps`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import httpx

from fusionhub.plugin import Clock, SandboxBucket, SlidingWindow, TokenWindow, Window

DAY = 86_400.0


def keystring(request: httpx.Request) -> str:
    key: str = request.headers.get("x-api-key", "")
    return key.partition(":")[0]


def headers(windows: Mapping[str, Window]) -> dict[str, str]:
    second, day = windows["second"], windows["day"]
    return {
        "x-limit-per-second": str(int(second.limit)),
        "x-remaining-this-second": str(max(0, math.floor(second.remaining + 1e-9))),
        "x-limit-per-day": str(int(day.limit)),
        "x-remaining-today": str(max(0, int(day.remaining))),
    }


def refusal(wait: float) -> httpx.Response:
    return httpx.Response(429, json={"error": "You have exceeded your quota"}, headers={"retry-after": f"{wait:.3f}"})


def per_app(clock: Clock, qps: int, qpd: int) -> SandboxBucket[Window]:
    def shape(now: float) -> dict[str, Window]:
        return {"second": TokenWindow.full(float(qps), float(qps), now), "day": SlidingWindow(float(qpd), DAY)}

    return SandboxBucket(clock, shape, key=keystring, headers=headers, refusal=refusal)
