"""Shop-wide facts a capability needs once: the currency, the default inventory location."""

from __future__ import annotations

from fusionhub import StoreContext
from fusionhub_shopify.client import execute, shop_config
from fusionhub_shopify.ids import gid


async def currency(ctx: StoreContext) -> str:
    """Prices on variants carry no currency: it is the shop's (config, else asked once)."""
    known = shop_config(ctx).currency or ctx.extras.get("shopify.currency")
    if not known:
        data = await execute(ctx, "ShopCurrency")
        known = ctx.extras["shopify.currency"] = str(data["shop"]["currencyCode"])
    return str(known)


async def location(ctx: StoreContext, explicit: str | None = None) -> str:
    """The location to write inventory at: the caller's, the store's setting, else the primary one."""
    if explicit:
        return gid("Location", explicit)
    known = shop_config(ctx).location_id or ctx.extras.get("shopify.location")
    if not known:
        data = await execute(ctx, "PrimaryLocation")
        known = ctx.extras["shopify.location"] = str(data["location"]["id"])
    return gid("Location", str(known))
