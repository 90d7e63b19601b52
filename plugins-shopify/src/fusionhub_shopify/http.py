"""How a store's client reaches Shopify: the admin base URL, the token header, cost feedback.

A GraphQL response reports the cost bucket in `extensions.cost.throttleStatus` and a refusal
for cost as a THROTTLED error (at HTTP 200). The body is parsed once per response (core's
`json_body`), for the rate-limit observer and the client alike.
"""

from __future__ import annotations

from typing import Any

import httpx

from fusionhub.plugin import HttpConfig, Limiter, Store, hookimpl, json_body, values_at
from fusionhub_shopify.auth.token import HEADER, AccessTokenAuth
from fusionhub_shopify.config import ShopConfig

MARGIN = 1.0  # points kept back: the reported level is rounded, and time passes on its way to us


def throttle_status(body: Any) -> dict[str, float] | None:
    try:
        status = body["extensions"]["cost"]["throttleStatus"]
        return {k: float(status[k]) for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")}
    except (KeyError, TypeError, ValueError):
        return None


def is_throttled(body: Any) -> bool:
    return "THROTTLED" in values_at(body, "errors.extensions.code")


async def observe_cost(response: httpx.Response, limiter: Limiter) -> None:
    """After each GraphQL response, the store's bucket is what the server says it is.

    Size and restore rate are the server's; the level is the reported one less our requests
    still in flight (the server will charge them after this report).
    """
    if not response.request.url.path.endswith("/graphql.json") or response.status_code != 200:
        return
    body = json_body(response)
    if is_throttled(body):
        limiter.throttled()
    status = throttle_status(body)
    if status is not None:
        await limiter.correct(
            bucket="cost",
            capacity=status["maximumAvailable"],
            refill_rate=status["restoreRate"],
            tokens=max(0.0, status["currentlyAvailable"] - limiter.in_flight - MARGIN),
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
