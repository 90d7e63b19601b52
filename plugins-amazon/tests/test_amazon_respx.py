"""The exact requests the plugin sends, pinned with respx (no sandbox in between): LWA, hosts, rate feedback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError, RateLimited, ValidationError
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store

NA = "https://sellingpartnerapi-na.amazon.com"
EU = "https://sellingpartnerapi-eu.amazon.com"
TOKEN = "https://api.amazon.com/auth/o2/token"
SELLER = "A1SELLER0000X"
CREDS = {"client_id": "amzn1.application-oa2-client.abc", "client_secret": "lwa-secret-1", "refresh_token": "Atzr|rt-1"}
ITEM = {
    "sku": "MUG/1",
    "summaries": [
        {
            "marketplaceId": "ATVPDKIKX0DER",
            "productType": "HOME",
            "status": ["BUYABLE"],
            "itemName": "Mug",
            "createdDate": "2026-01-01T00:00:00Z",
            "lastUpdatedDate": "2026-01-02T00:00:00Z",
        }
    ],
}


def run_hub(main: Callable[[Hub, Store], Awaitable[Any]], *, config: dict[str, Any] | None = None, **creds: str) -> Any:
    clock = VirtualClock()
    hub = Hub(Registry.discover(allow={"amazon-sc"}), clock=clock)
    store = Store(
        "amazon-sc",
        credentials={**CREDS, **creds},
        config=config or {"seller_id": SELLER, "marketplace_ids": ["ATVPDKIKX0DER"]},
    )
    hub.connect(store)

    async def wrapped() -> Any:
        try:
            return await main(hub, store)
        finally:
            await hub.aclose()

    return clock.run(wrapped())


def token_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"access_token": "Atza|fresh", "token_type": "bearer", "expires_in": 3600})


@respx.mock(assert_all_called=True)
def test_the_lwa_token_is_fetched_once_and_sent_bare(respx_mock: respx.MockRouter) -> None:
    token = respx_mock.post(TOKEN).mock(side_effect=token_answer)
    item = respx_mock.get(url__startswith=f"{NA}/listings/2021-08-01/items/{SELLER}/MUG%2F1").mock(
        return_value=httpx.Response(200, json=ITEM, headers={"x-amzn-RateLimit-Limit": "5.0"})
    )

    async def main(hub: Hub, store: Store) -> Any:
        await hub.execute(store, "get_product", {"product_id": "MUG/1"})
        return (await hub.execute(store, "get_product", {"product_id": "MUG/1"})).value

    product = run_hub(main)
    assert product.id == "MUG/1" and product.status == "active"
    assert token.call_count == 1  # cached until shortly before expiry
    form = {k: v[0] for k, v in parse_qs(token.calls[0].request.content.decode()).items()}
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|rt-1",
        "client_id": CREDS["client_id"],
        "client_secret": "lwa-secret-1",
    }
    sent = item.calls[0].request
    assert sent.headers["x-amz-access-token"] == "Atza|fresh"  # no "Bearer "
    assert "authorization" not in sent.headers
    assert parse_qs(sent.url.query.decode())["marketplaceIds"] == ["ATVPDKIKX0DER"]


@respx.mock(assert_all_called=True)
def test_iam_fields_are_accepted_and_ignored(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(side_effect=token_answer)
    route = respx_mock.get(url__startswith=f"{NA}/listings/").mock(return_value=httpx.Response(200, json=ITEM))
    iam = {
        "aws_access_key_id": "AKIAEXAMPLE",
        "aws_secret_access_key": "iam-secret-2",
        "role_arn": "arn:aws:iam::1:role/x",
    }

    async def main(hub: Hub, store: Store) -> Any:
        return (await hub.execute(store, "get_product", {"product_id": "MUG/1"})).value

    run_hub(main, **iam)
    headers = route.calls[0].request.headers
    assert "authorization" not in headers and "x-amz-date" not in headers  # no SigV4 since 2023-10-02


def test_missing_lwa_credentials_are_named() -> None:
    async def main(hub: Hub, store: Store) -> Any:
        return None

    with pytest.raises(AuthError, match="client_secret"):
        run_hub(main, client_secret="")


@pytest.mark.parametrize(
    ("config", "host"),
    [
        ({"seller_id": SELLER, "marketplace_ids": ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"]}, EU),
        ({"seller_id": SELLER, "marketplace_ids": ["A1VC38T7YXB528"]}, "https://sellingpartnerapi-fe.amazon.com"),
        ({"seller_id": SELLER, "marketplace_ids": ["AXXXNEWMARKET1"], "region": "EU"}, EU),
        (
            {"seller_id": SELLER, "marketplace_ids": ["ATVPDKIKX0DER"], "use_sandbox_endpoints": True},
            "https://sandbox.sellingpartnerapi-na.amazon.com",
        ),
    ],
)
def test_the_regional_host_follows_the_marketplace(config: dict[str, Any], host: str) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        route = mock.get(url__startswith=f"{host}/listings/").mock(return_value=httpx.Response(200, json=ITEM))

        async def main(hub: Hub, store: Store) -> Any:
            return (await hub.execute(store, "get_product", {"product_id": "MUG/1"})).value

        run_hub(main, config=config)
        assert route.call_count == 1


def test_marketplaces_of_two_regions_are_refused() -> None:
    async def main(hub: Hub, store: Store) -> Any:
        return None

    with pytest.raises(ValidationError, match="share a region"):
        run_hub(main, config={"seller_id": SELLER, "marketplace_ids": ["ATVPDKIKX0DER", "A1PA6795UKMFR9"]})


@respx.mock(assert_all_called=True)
def test_the_reported_rate_corrects_the_operation_bucket_only(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(side_effect=token_answer)
    respx_mock.get(url__startswith=f"{NA}/listings/").mock(
        return_value=httpx.Response(200, json=ITEM, headers={"x-amzn-RateLimit-Limit": "1.5"})
    )

    async def main(hub: Hub, store: Store) -> Any:
        await hub.execute(store, "get_product", {"product_id": "MUG/1"})
        ctx = hub.context(store)
        return (await ctx.limiter.report("getListingsItem"))["buckets"], (await ctx.limiter.report("getOrder"))[
            "buckets"
        ]

    item, order = run_hub(main)
    assert item["op:getListingsItem"]["refill_rate"] == 1.5
    assert order["op:getOrder"]["refill_rate"] == 0.5  # the seeded plan: untouched


@respx.mock(assert_all_called=True)
def test_quota_exceeded_empties_the_bucket_and_says_how_long(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(side_effect=token_answer)
    refused = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]}
    respx_mock.get(url__startswith=f"{NA}/orders/2026-01-01/orders/").mock(
        return_value=httpx.Response(429, json=refused, headers={"x-amzn-RateLimit-Limit": "0.5"})
    )

    async def main(hub: Hub, store: Store) -> Any:
        try:
            await hub.execute(store, "get_order", {"order_id": "113-1"})
        except RateLimited as limited:
            report = await hub.context(store).limiter.report("getOrder")
            return limited, report["buckets"]["op:getOrder"]
        raise AssertionError("a 429 must raise RateLimited")

    limited, bucket = run_hub(main)
    assert limited.retry_after == pytest.approx(2.0)  # one token at the reported 0.5/s
    assert "QuotaExceeded" in limited.message
    assert bucket["tokens"] < 1.0


def test_the_wait_after_a_429_without_a_rate_is_the_seeded_plan() -> None:
    from fusionhub.plugin import meta
    from fusionhub_amazon.ratelimit import UNKNOWN_WAIT, wait_after_429

    request = httpx.Request("GET", f"{NA}/orders/2026-01-01/orders", extensions=meta(operation="searchOrders"))
    assert wait_after_429(httpx.Response(429, request=request)) == pytest.approx(1 / 0.0056)
    assert wait_after_429(httpx.Response(429)) == UNKNOWN_WAIT
