"""GraphQL cost feedback: the store's bucket takes the server's throttleStatus; THROTTLED is counted."""

from __future__ import annotations

import httpx

from fusionhub import VirtualClock
from fusionhub.contracts import CostBased
from fusionhub.http import meta
from fusionhub.ratelimit import Limiter, MemoryBucketStore
from fusionhub_shopify.http import MARGIN, observe_cost

URL = "https://sandbox-shop.myshopify.com/admin/api/2026-10/graphql.json"


def test_the_servers_lower_level_wins_and_throttled_is_counted(virtual_clock: VirtualClock) -> None:
    limiter = Limiter("store:t", CostBased(max_cost=1000, restore_rate=50), MemoryBucketStore(), virtual_clock)
    body = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 50,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 7, "restoreRate": 50},
            }
        },
    }
    response = httpx.Response(200, json=body, request=httpx.Request("POST", URL, extensions=meta(cost=50)))

    async def main() -> float:
        await limiter.acquire(50)
        await observe_cost(response, limiter)
        state = await limiter.level()
        assert state is not None
        return state.tokens

    assert virtual_clock.run(main()) == 7 - MARGIN
    assert limiter.stats.throttled == 1
    assert limiter.stats.corrections >= 1
