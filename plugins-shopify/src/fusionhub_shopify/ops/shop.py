"""Shop-wide facts a capability needs once: the currency, the default inventory location."""

from __future__ import annotations

from fusionhub.plugin import StoreContext
from fusionhub_shopify.client import ShopState, execute, shop_config
from fusionhub_shopify.ids import gid


async def currency(ctx: StoreContext) -> str:
    """Prices on variants carry no currency: it is the shop's (config, else asked once)."""
    state = ctx.state(ShopState)
    known = shop_config(ctx).currency or state.currency
    if not known:
        known = state.currency = str((await execute(ctx, "ShopCurrency"))["shop"]["currencyCode"])
    return str(known)


async def location(ctx: StoreContext, explicit: str | None = None) -> str:
    """The location to write inventory at: the caller's, the store's setting, else the primary one."""
    if explicit:
        return gid("Location", explicit)
    state = ctx.state(ShopState)
    known = shop_config(ctx).location_id or state.location
    if not known:
        known = state.location = str((await execute(ctx, "PrimaryLocation"))["location"]["id"])
    return gid("Location", str(known))
