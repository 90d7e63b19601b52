"""Shopify's own ways to fail, added to core's fault knobs ("5xx", "timeout", "reset", "lost").

Bulk result downloads pass through the target "bulk_result": arm `inject("cut_line", on="bulk_result")`
(the file ends inside its last line) or `inject("short", on="bulk_result")` (its last line is missing).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fusionhub.plugin import Action, Faults

JSON = {"Content-Type": "application/json"}
INTERNAL = b'{"errors":[{"message":"Internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}'


def _truncated(keep: float) -> Action:
    """The real answer with its body cut `keep` of the way into its last line (0: the line is gone)."""

    def cut(request: httpx.Request, handler: Callable[[], httpx.Response]) -> httpx.Response:
        answer = handler()
        body = answer.content.rstrip(b"\n")
        start = body.rfind(b"\n") + 1
        end = start + int((len(body) - start) * keep) if keep else max(0, start - 1)
        return httpx.Response(answer.status_code, content=body[:end] + (b"" if keep else b"\n"))

    return cut


KINDS: dict[str, Action] = {
    # A body cut off mid-stream, and GraphQL's internal error at HTTP 200.
    "malformed": lambda request, handler: httpx.Response(200, headers=JSON, content=b'{"data": {"products": '),
    "internal": lambda request, handler: httpx.Response(200, headers=JSON, content=INTERNAL),
    # A bulk result file cut off: mid-line, or short of its last line.
    "cut_line": _truncated(0.5),
    "short": _truncated(0.0),
}


def shopify_faults() -> Faults:
    """`sandbox.faults.inject(kind, times)` makes the next GraphQL requests fail with `kind`."""
    return Faults(kinds=KINDS)
