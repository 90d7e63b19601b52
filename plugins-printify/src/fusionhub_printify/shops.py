"""The account's shops (GET shops.json): what a token can reach, to find or check a store's shop id.

Not a capability: a host calls it while connecting a store (the store's config need not name a
shop yet), and `check_shop` refuses a configured shop the token's account does not have.
"""

from __future__ import annotations

from fusionhub.plugin import StoreContext
from fusionhub_printify.client import call, refuse, shop_id
from fusionhub_printify.mapping import Json


async def account_shops(ctx: StoreContext) -> list[Json]:
    """Every shop of the token's account: `[{"id", "title", "sales_channel"}]`."""
    found = await call(ctx, "listShops")
    return list(found.get("data", []) if isinstance(found, dict) else found or [])


async def check_shop(ctx: StoreContext) -> Json:
    """The store's shop as Printify lists it; a validation error naming the account's shops otherwise."""
    wanted, shops = shop_id(ctx), await account_shops(ctx)
    match = next((s for s in shops if int(s["id"]) == wanted), None)
    if match is None:
        known = ", ".join(f"{s['id']} ({s.get('title', '')})" for s in shops) or "none"
        raise refuse("config.shop_id", f"the token's account has no shop {wanted}; its shops: {known}")
    return match
