"""StoreContext's typed places: per-store plugin state, and the outbound client for other hosts."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fake_platform import SLUG, FakeServer, FakeShopPlugin, make_hub

from fusionhub import Store, StoreContext, hookimpl
from fusionhub.clock import VirtualClock
from fusionhub.models import Product
from fusionhub.params import GetProductParams


@dataclass
class Learnt:
    calls: int = 0
    files: list[str] = field(default_factory=list)


class StatefulPlugin(FakeShopPlugin):
    @hookimpl
    async def fusionhub_get_product(self, ctx: StoreContext, params: GetProductParams) -> Product:
        learnt = ctx.state(Learnt)
        learnt.calls += 1
        async with ctx.outbound() as plain:
            learnt.files.append((await plain.get(f"https://files.test/{params.product_id}.jpg")).text)
        return await super().fusionhub_get_product(ctx, params)


def test_state_is_per_store_typed_and_outlives_reconnects_and_outbound_carries_no_credentials(
    virtual_clock: VirtualClock,
) -> None:
    server = FakeServer(virtual_clock, api_key="store-api-key-123")
    server.products["p1"] = {"id": "p1", "title": "One"}
    hub = make_hub(virtual_clock, server, StatefulPlugin())
    outbound: list[httpx.Request] = []

    def files(request: httpx.Request) -> httpx.Response:
        outbound.append(request)
        return httpx.Response(200, text=request.url.path)

    one = Store(platform=SLUG, credentials={"api_key": server.api_key}, id="one")
    two = Store(platform=SLUG, credentials={"api_key": server.api_key}, id="two")
    ctx = hub.connect(one, transport=server.transport())
    ctx.outbound_transport = httpx.MockTransport(files)
    hub.connect(two, transport=server.transport()).outbound_transport = httpx.MockTransport(files)

    async def main() -> None:
        await hub.execute(one, "get_product", {"product_id": "p1"})
        hub.connect(one, transport=server.transport())  # a reconnect keeps what was learnt
        await hub.execute(one, "get_product", {"product_id": "p1"})
        await hub.execute(two, "get_product", {"product_id": "p1"})

    virtual_clock.run(main())
    assert hub.context(one).state(Learnt) == Learnt(calls=2, files=["/p1.jpg", "/p1.jpg"])
    assert hub.context(two).state(Learnt).calls == 1
    assert len(outbound) == 3
    assert all("api_key" not in r.url.params and server.api_key not in str(r.headers) for r in outbound)
