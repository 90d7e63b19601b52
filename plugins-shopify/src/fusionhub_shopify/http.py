"""How a store's client reaches Shopify: the admin base URL, the token header, cost feedback."""

from __future__ import annotations

import httpx

from fusionhub.plugin import HttpConfig, Limiter, RequestMeta, Store, hookimpl
from fusionhub_shopify import inflight
from fusionhub_shopify.auth.token import HEADER, AccessTokenAuth
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.throttle import is_throttled, parsed_json, throttle_status

MARGIN = 1.0  # points kept back: the reported level is rounded, and time passes on its way to us


async def observe_cost(response: httpx.Response, limiter: Limiter) -> None:
    """After each GraphQL response, the store's bucket is what the server says it is.

    Size and restore rate are the server's; the level is the reported one less our requests
    still in flight (the server will charge them after this report).
    """
    if not response.request.url.path.endswith("/graphql.json") or response.status_code != 200:
        return
    body = parsed_json(response)
    if is_throttled(body):
        limiter.throttled()
    status = throttle_status(body)
    if status is None:
        return
    own = RequestMeta.of(response.request).cost
    await limiter.correct(
        bucket="cost",
        capacity=status["maximumAvailable"],
        refill_rate=status["restoreRate"],
        tokens=max(0.0, status["currentlyAvailable"] - inflight.others(limiter.store_key, own) - MARGIN),
    )


@hookimpl
def http_config(store: Store) -> HttpConfig:
    config = ShopConfig.of(store.config)
    return HttpConfig(
        base_url=config.admin_url,
        auth=AccessTokenAuth(store, config.shop),
        headers={"Accept": "application/json"},
        timeout=30.0,
        on_response=observe_cost,
        secret_names=(HEADER,),
    )
