"""Reply: raised anywhere inside a sandbox's handling to answer the request with a given response."""

from __future__ import annotations

import httpx


class Reply(Exception):
    """Stops handling and answers with `response` (a validation error, a missing route, a refusal)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"sandbox reply {response.status_code}")
        self.response = response
