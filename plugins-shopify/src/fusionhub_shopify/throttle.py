"""What a GraphQL response says about the cost bucket: throttleStatus, THROTTLED.

The body is parsed once per response and kept on it, for the rate-limit observer and the
client alike.
"""

from __future__ import annotations

from typing import Any

import httpx

PARSED = "fusionhub_shopify.json"  # response.extensions key: the body parsed once, reused by the client


def parsed_json(response: httpx.Response) -> Any:
    """The response body as JSON, parsed once per response (None when it is not JSON)."""
    if PARSED not in response.extensions:
        try:
            response.extensions[PARSED] = response.json()
        except ValueError:
            response.extensions[PARSED] = None
    return response.extensions[PARSED]


def throttle_status(body: Any) -> dict[str, float] | None:
    try:
        status = body["extensions"]["cost"]["throttleStatus"]
        return {k: float(status[k]) for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")}
    except (KeyError, TypeError, ValueError):
        return None


def is_throttled(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
    )
