"""The fake counts QPS and QPD per app (API keystring) as Etsy does, and starts with core's fixed credentials."""

from __future__ import annotations

import asyncio

import httpx

from fusionhub.clock import VirtualClock
from fusionhub.sandbox import SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN
from fusionhub_etsy.sandbox import EtsySandbox
from fusionhub_etsy.sandbox.world import USER_ID


def _headers(creds: dict[str, str]) -> dict[str, str]:
    return {
        "x-api-key": f"{creds['keystring']}:{creds['shared_secret']}",
        "authorization": f"Bearer {creds['access_token']}",
    }


def _burst(clock: VirtualClock, sandbox: EtsySandbox, clients: list[dict[str, str]], each: int) -> list[list[int]]:
    """`each` requests at one instant from every client (a store's credentials); their statuses."""
    url = f"https://openapi.etsy.com/v3/application/shops/{sandbox.world.shop_id}/receipts"

    async def one(creds: dict[str, str]) -> list[int]:
        async with httpx.AsyncClient(transport=sandbox.transport(), headers=_headers(creds)) as raw:
            return [r.status_code for r in await asyncio.gather(*(raw.get(url) for _ in range(each)))]

    async def main() -> list[list[int]]:
        return list(await asyncio.gather(*(one(creds) for creds in clients)))

    return clock.run(main())


def test_stores_of_one_app_share_its_limits(virtual_clock: VirtualClock) -> None:
    sandbox = EtsySandbox(virtual_clock)
    app = sandbox.credentials()
    first, second = _burst(virtual_clock, sandbox, [app, dict(app)], each=8)
    assert (first + second).count(200) == 10 and sandbox.throttled == 6  # 10/s for the app, not per store


def test_stores_of_two_apps_are_counted_apart(virtual_clock: VirtualClock) -> None:
    sandbox = EtsySandbox(virtual_clock, qpd=12)
    other = sandbox.add_app()
    assert other["keystring"] != SANDBOX_CLIENT_ID
    mine, theirs = _burst(virtual_clock, sandbox, [sandbox.credentials(), other], each=10)
    assert mine == [200] * 10 and theirs == [200] * 10 and sandbox.throttled == 0
    virtual_clock.advance(1.0)
    later = httpx.Request(
        "GET", f"https://openapi.etsy.com/v3/application/listings/{next(iter(sandbox.world.listings))}"
    )
    later.headers.update(_headers(other))
    answer = sandbox.handle(later)
    assert answer.headers["x-remaining-today"] == "1" and answer.headers["x-limit-per-day"] == "12"


def test_an_unknown_app_is_refused_and_not_counted(virtual_clock: VirtualClock) -> None:
    sandbox = EtsySandbox(virtual_clock)
    stranger = {**sandbox.credentials(), "keystring": "not-an-app"}
    assert _burst(virtual_clock, sandbox, [stranger], each=3) == [[403, 403, 403]]
    assert sandbox.throttled == 0


def test_the_first_app_is_cores_fixed_sandbox_credentials(virtual_clock: VirtualClock) -> None:
    assert EtsySandbox(virtual_clock).credentials() == {
        "keystring": SANDBOX_CLIENT_ID,
        "shared_secret": SANDBOX_CLIENT_SECRET,
        "access_token": f"{USER_ID}.{SANDBOX_ACCESS_TOKEN}",
        "refresh_token": f"{USER_ID}.{SANDBOX_REFRESH_TOKEN}",
    }
