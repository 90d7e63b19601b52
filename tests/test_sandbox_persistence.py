"""Every platform's sandbox keeps its shop between processes: two runtimes on one database (each
with its own live sandbox, as two processes have) take turns running every capability's sample
params, and each sees what the other did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fusionhub.capabilities import Capability
from fusionhub.context import RunMode
from fusionhub.contracts import Level
from fusionhub.registry import Registry
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database, sqlite_url

PLATFORMS = ["shopify", "etsy", "gumroad", "printify", "amazon-sc"]
for module in ("fusionhub_shopify", "fusionhub_etsy", "fusionhub_gumroad", "fusionhub_printify", "fusionhub_amazon"):
    pytest.importorskip(module)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Runtime, Runtime]]:
    keys = Keyring([Fernet.generate_key().decode()], "test keys")
    registry = Registry.discover()
    runtimes = []
    for _ in range(2):  # two engines, two live sandboxes: what two processes have
        runtime = Runtime(Database(sqlite_url(tmp_path / "hub.db")), registry=registry, keyring=keys)
        await runtime.db.ensure_schema()
        await runtime.register_plugins()
        runtimes.append(runtime)
    yield runtimes[0], runtimes[1]
    for runtime in runtimes:
        await runtime.aclose()


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_rename_by_one_runtime_is_seen_by_the_other(pair: tuple[Runtime, Runtime], platform: str) -> None:
    one, other = pair
    record = await one.sandboxes.add_store(one.stores, "kept", platform)
    first = (await one.execute("kept", "list_products", {"limit": 3})).value.items[0]
    await other.execute("kept", "update_product", {"product_id": first.id, "changes": {"title": "Renamed elsewhere"}})
    assert (await one.execute("kept", "get_product", {"product_id": first.id})).value.title == "Renamed elsewhere"
    assert (await one.sandboxes.info(record.id)).version >= 1  # type: ignore[union-attr]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_every_capability_runs_on_the_kept_shop_taking_turns(
    pair: tuple[Runtime, Runtime], platform: str
) -> None:
    one, other = pair
    record = await one.sandboxes.add_store(one.stores, "kept", platform)
    manifest = one.hub.manifest(platform)
    ran = []
    for turn, capability in enumerate(Capability):
        if manifest.contract(capability).level is Level.UNSUPPORTED:
            continue
        params = (await one.sandboxes.current(record.id)).sample_params(capability)  # from the shop as it is now
        if params is None:
            continue
        runtime = (one, other)[turn % 2]
        outcome = await runtime.execute("kept", capability, params, mode=RunMode.INTERACTIVE)
        assert outcome.value is not None
        ran.append(capability)
    assert Capability.UPDATE_PRODUCT in ran and len(ran) >= 8, ran
