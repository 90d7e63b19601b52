"""The account's shops: listing them needs no shop id yet, and a shop the account lacks is refused."""

from __future__ import annotations

import pytest

from fusionhub.clock import VirtualClock
from fusionhub.context import StoreContext
from fusionhub.errors import ValidationError
from fusionhub.hub import Hub
from fusionhub.registry import Registry
from fusionhub.stores import Store
from fusionhub_printify.sandbox import SECOND_SHOP_ID, SHOP_ID, PrintifySandbox
from fusionhub_printify.shops import account_shops, check_shop


def _connect(sandbox: PrintifySandbox, clock: VirtualClock, config: dict[str, object]) -> tuple[Hub, StoreContext]:
    hub = Hub(Registry.discover(allow={"printify"}), clock=clock)
    store = Store("printify", credentials=sandbox.credentials(), config=config)
    return hub, hub.connect(store, transport=sandbox.transport())


def test_a_token_lists_all_its_accounts_shops_whichever_shop_the_store_names() -> None:
    clock = VirtualClock()
    sandbox = PrintifySandbox(clock)
    hub, ctx = _connect(sandbox, clock, {"shop_id": SECOND_SHOP_ID})  # a store always names one (config_schema)
    shops = clock.run(account_shops(ctx))
    assert [s["id"] for s in shops] == [SHOP_ID, SECOND_SHOP_ID]
    clock.run(hub.aclose())


def test_check_shop_refuses_a_shop_of_another_account() -> None:
    clock = VirtualClock()
    sandbox = PrintifySandbox(clock)
    _, other_config = sandbox.add_account()
    hub, ctx = _connect(sandbox, clock, other_config)
    with pytest.raises(ValidationError, match=f"its shops: {SHOP_ID}") as refused:
        clock.run(check_shop(ctx))
    assert refused.value.errors[0]["loc"] == "config.shop_id"
    hub, ctx = _connect(sandbox, clock, {"shop_id": SECOND_SHOP_ID})
    assert clock.run(check_shop(ctx))["title"] == "Sandbox Outlet"
    clock.run(hub.aclose())
