"""The request log: every request a sandbox received, in order, stamped with its clock time."""

from __future__ import annotations

import httpx

from fusionhub.sandbox.routes import compile_template

RECEIVED_AT = "fusionhub.sandbox.received_at"


class RequestLog(list[httpx.Request]):
    """A list of the requests received (tests index, count and clear it) plus when each arrived."""

    def record(self, request: httpx.Request, now: float) -> None:
        request.extensions[RECEIVED_AT] = now
        self.append(request)

    @property
    def times(self) -> list[float]:
        """The clock time each logged request arrived, in the log's order."""
        return [float(r.extensions[RECEIVED_AT]) for r in self]

    def matching(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        """The logged requests with this method and a path matching this template (`/items/{id}`)."""
        pattern = compile_template(path) if path is not None else None
        return [
            r
            for r in self
            if (method is None or r.method == method) and (pattern is None or pattern.fullmatch(r.url.path))
        ]
