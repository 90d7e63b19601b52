"""Shopify's own ways to fail, added to core's fault knobs ("5xx", "timeout", "reset", "lost")."""

from __future__ import annotations

import httpx

from fusionhub.plugin import Action, Faults

JSON = {"Content-Type": "application/json"}
INTERNAL = b'{"errors":[{"message":"Internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}'

KINDS: dict[str, Action] = {
    # A body cut off mid-stream, and GraphQL's internal error at HTTP 200.
    "malformed": lambda request, handler: httpx.Response(200, headers=JSON, content=b'{"data": {"products": '),
    "internal": lambda request, handler: httpx.Response(200, headers=JSON, content=INTERNAL),
}


def shopify_faults() -> Faults:
    """`sandbox.faults.inject(kind, times)` makes the next GraphQL requests fail with `kind`."""
    return Faults(kinds=KINDS)
