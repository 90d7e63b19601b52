"""The per-store read cache: TTL from the contract or the host, dropped by writes."""

from __future__ import annotations

from fake_platform import GET, FakeServer, connect, make_hub

from fusionhub import Capability
from fusionhub.clock import VirtualClock


def test_reads_are_reused_until_the_ttl_and_writes_invalidate(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="cache-key-1")
    hub = make_hub(virtual_clock, server)
    store = connect(hub, server)

    async def get() -> tuple[str, bool]:
        outcome = await hub.execute(store, GET, {"product_id": "1"})
        return outcome.value.title, outcome.cached

    async def main() -> list[tuple[str, bool]]:
        seen = [await get(), await get()]
        await virtual_clock.sleep(61)  # the contract's cache_ttl is 60 s
        seen.append(await get())
        await hub.execute(store, Capability.UPDATE_PRODUCT, {"product_id": "1", "changes": {"title": "Cup"}})
        seen.append(await get())  # never the state from before the write
        seen.append(await get())
        return seen

    assert virtual_clock.run(main()) == [
        ("Mug", False),
        ("Mug", True),
        ("Mug", False),
        ("Cup", False),
        ("Cup", True),
    ]
    assert len(server.requests) == 4  # three reads and the write reached the platform
    assert hub.stats()["cache"]["hits"] == 2


def test_params_are_part_of_the_key_and_stores_are_apart(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="cache-key-2")
    server.products["2"] = {"id": "2", "title": "Plate"}
    hub = make_hub(virtual_clock, server)
    one, two = connect(hub, server, "s1"), connect(hub, server, "s2")

    async def main() -> list[bool]:
        flags = []
        for store, pid in [(one, "1"), (one, "2"), (two, "1"), (one, "1"), (two, "1")]:
            flags.append((await hub.execute(store, GET, {"product_id": pid})).cached)
        await hub.execute(one, Capability.UPDATE_PRODUCT, {"product_id": "2", "changes": {"title": "Bowl"}})
        flags.append((await hub.execute(two, GET, {"product_id": "1"})).cached)  # s2 keeps its cache
        flags.append((await hub.execute(one, GET, {"product_id": "1"})).cached)  # s1's was dropped
        return flags

    assert virtual_clock.run(main()) == [False, False, False, True, True, True, False]


def test_host_ttl_overrides_the_contract(virtual_clock: VirtualClock) -> None:
    server = FakeServer(virtual_clock, api_key="cache-key-3")
    hub = make_hub(virtual_clock, server)
    store = connect(hub, server)
    hub.set_cache_ttl(Capability.LIST_PRODUCTS, 5)  # not cached by the contract
    hub.set_cache_ttl(GET, 0, platform="fakeshop")  # switched off for this platform

    async def main() -> list[bool]:
        flags = []
        for _ in range(2):
            flags.append((await hub.execute(store, Capability.LIST_PRODUCTS, {})).cached)
            flags.append((await hub.execute(store, GET, {"product_id": "1"})).cached)
        return flags

    assert virtual_clock.run(main()) == [False, False, True, False]
    assert hub.cache_ttl("fakeshop", GET) == 0
    hub.set_cache_ttl(GET, None, platform="fakeshop")
    assert hub.cache_ttl("fakeshop", GET) == 60
