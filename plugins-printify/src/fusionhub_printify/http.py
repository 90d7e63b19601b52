"""How a store's client reaches Printify: one host, the personal access token, a User-Agent.

Printify reports no rate-limit headers that this plugin relies on; a 429 empties the window
bucket so the store's next requests wait, and Retry-After (when sent) says how long.
"""

from __future__ import annotations

import httpx

from fusionhub.plugin import AuthError, BearerAuth, HttpConfig, Limiter, Store, hookimpl, lower_to
from fusionhub_printify.config import SLUG
from fusionhub_printify.endpoints import BASE_URL, USER_AGENT


async def observe(response: httpx.Response, limiter: Limiter) -> None:
    if response.status_code == 429:  # counted by the transport; here the bucket learns it is empty
        await lower_to(limiter, "window", 0.0)


@hookimpl
def http_config(store: Store) -> HttpConfig:
    token = store.credentials.get("access_token")
    if not token:
        raise AuthError("the store's credentials lack access_token (a Printify personal access token)", platform=SLUG)
    return HttpConfig(
        base_url=BASE_URL,
        auth=BearerAuth(str(token)),
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        on_response=observe,
    )
