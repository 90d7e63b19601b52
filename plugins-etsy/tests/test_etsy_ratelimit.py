"""Per-second and per-day limits: paced by the store's buckets, corrected by Etsy's headers, 429 → RateLimited."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from fusionhub.errors import RateLimited
from fusionhub_etsy.ratelimit import RATE_HEADERS


def test_concurrent_reads_are_paced_at_10_per_second_without_a_429(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))

    async def main() -> None:
        await asyncio.gather(*(run.execute("get_product", {"product_id": listing_id}) for _ in range(50)))

    run.clock.run(main())
    assert run.sandbox.throttled == 0 and len(run.sandbox.requests) == 50
    assert 4.8 <= run.clock.elapsed <= 5.0  # 50 requests at 10/s: the first at 0 s, the last at 4.9 s


def test_the_sandbox_refuses_a_client_that_ignores_the_limit(virtual_clock) -> None:  # type: ignore[no-untyped-def]
    from fusionhub_etsy.sandbox import EtsySandbox

    sandbox = EtsySandbox(virtual_clock)
    creds = sandbox.credentials()
    headers = {
        "x-api-key": f"{creds['keystring']}:{creds['shared_secret']}",
        "authorization": f"Bearer {creds['access_token']}",
    }

    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=sandbox.transport(), headers=headers) as raw:
            url = f"https://openapi.etsy.com/v3/application/shops/{sandbox.world.shop_id}/receipts"
            return list(await asyncio.gather(*(raw.get(url) for _ in range(15))))

    responses = virtual_clock.run(main())
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 5 and sandbox.throttled == 5
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["x-remaining-this-second"] == "0" and refused.headers["x-limit-per-second"] == "10"
    assert refused.headers["x-limit-per-day"] == "10000" and refused.headers["x-remaining-today"] == "9990"


def test_headers_lower_the_day_bucket_so_the_core_refuses_before_etsy_does(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run(qpd=20)
    listing_id = str(next(iter(run.sandbox.world.listings)))

    async def main() -> None:
        for _ in range(20):
            await run.execute("get_product", {"product_id": listing_id})
        day = run.ctx.limiter.shape("day")
        assert day is not None and day.capacity == 10_000  # the manifest's shape; the state below is corrected
        state = await run.ctx.limiter.correct(bucket="day")
        assert state is not None and state.capacity == 20 and state.tokens < 1
        with pytest.raises(RateLimited) as caught:
            await run.ctx.limiter.acquire(wait=False)
        assert caught.value.retry_after > 60  # a day token, not a second's

    run.clock.run(main())
    assert run.sandbox.throttled == 0


def test_a_429_becomes_rate_limited_with_the_servers_wait_and_is_not_retried(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))
    run.sandbox.faults.fail(429, on="getListing", headers={"retry-after": "7", "x-limit-per-second": "10"})
    with pytest.raises(RateLimited) as caught:
        run.clock.run(run.execute("get_product", {"product_id": listing_id}))
    assert caught.value.retry_after == 7.0
    assert len(run.sandbox.requests) == 1


def test_a_write_refused_with_429_is_not_resent(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))
    run.sandbox.faults.fail(429, on="updateListing", headers={"retry-after": "0.5"})
    with pytest.raises(RateLimited):
        run.clock.run(run.execute("update_product", {"product_id": listing_id, "changes": {"title": "x"}}))
    assert [r.method for r in run.sandbox.requests] == ["PATCH"]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"x-limit-per-second": "5", "x-remaining-this-second": "0"}, 0.2),
        ({"x-limit-per-day": "10000", "x-remaining-today": "0", "x-limit-per-second": "10"}, 8.64),
    ],
)
def test_wait_after_429_reads_etsys_headers(headers: dict[str, str], wait: float) -> None:
    assert RATE_HEADERS.wait(httpx.Response(429, headers=headers)) == pytest.approx(wait)


def test_server_errors_on_reads_are_retried_by_core(etsy_run) -> None:  # type: ignore[no-untyped-def]
    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))
    run.sandbox.faults.fail(503, on="getListing")
    product = run.clock.run(run.execute("get_product", {"product_id": listing_id})).value
    assert product.id == listing_id and len(run.sandbox.requests) == 2


def test_in_a_worker_only_a_calls_first_request_is_refused_the_rest_wait(etsy_run) -> None:  # type: ignore[no-untyped-def]
    from fusionhub.ratelimit.admission import refusing

    run = etsy_run()
    listing_id = str(next(iter(run.sandbox.world.listings)))
    target = {"target": {"product_id": listing_id, "sku": "SKU-1", "quantity": 9}}

    async def main() -> Any:
        with refusing():  # as a worker runs a job
            await run.execute("get_product", {"product_id": listing_id})  # spends the token
            with pytest.raises(RateLimited):  # the job would be re-scheduled, nothing was sent
                await run.execute("update_variant_inventory", target)
            await run.clock.sleep(0.1 + 1e-3)  # as the re-scheduled job would run
            return (await run.execute("update_variant_inventory", target)).value  # GET now, PUT waits 0.1 s

    level = run.clock.run(main())
    assert level.available == 9
    assert [r.method for r in run.sandbox.requests] == ["GET", "GET", "PUT"]
    assert run.sandbox.received_at[2] - run.sandbox.received_at[1] == pytest.approx(0.1, abs=1e-3)
