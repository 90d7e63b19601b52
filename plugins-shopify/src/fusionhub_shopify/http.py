"""How a store's client reaches Shopify: the admin base URL, the token header, cost feedback."""

from __future__ import annotations

import httpx

from fusionhub import HttpConfig, RequestMeta, Store
from fusionhub.ratelimit import Limiter
from fusionhub.ratelimit.feedback import apply_shopify_cost, shopify_throttled
from fusionhub_shopify.auth.token import AccessTokenAuth
from fusionhub_shopify.config import ShopConfig
from fusionhub_shopify.throttle import parsed_json


async def observe_cost(response: httpx.Response, limiter: Limiter) -> None:
    """After each GraphQL response: the bucket takes the server's size, rate, refund and level."""
    if not response.request.url.path.endswith("/graphql.json") or response.status_code != 200:
        return
    body = parsed_json(response)
    if not isinstance(body, dict):
        return
    if shopify_throttled(body):
        limiter.throttled()
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    await apply_shopify_cost(limiter, cost, charged=RequestMeta.of(response.request).cost)


def http_config(store: Store) -> HttpConfig:
    config = ShopConfig.of(store.config)
    return HttpConfig(
        base_url=config.admin_url,
        auth=AccessTokenAuth(store, config.shop),
        headers={"Accept": "application/json"},
        timeout=30.0,
        on_response=observe_cost,
    )
