"""The transport under every store's client: acquire from the store's buckets, then send."""

from __future__ import annotations

import httpx

from fusionhub.http.config import HttpConfig, RequestMeta
from fusionhub.ratelimit import Limiter


class LimitedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: Limiter, config: HttpConfig) -> None:
        self._inner = inner
        self._limiter = limiter
        self._config = config

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        meta = RequestMeta.of(request)
        await self._limiter.acquire(meta.cost, operation=meta.operation, endpoint_class=meta.endpoint_class)
        response = await self._inner.handle_async_request(request)
        if self._config.on_response is not None:
            await response.aread()
            await self._config.on_response(response, self._limiter)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
