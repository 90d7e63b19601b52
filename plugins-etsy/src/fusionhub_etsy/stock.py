"""Inventory capabilities: per listing, one GET and at most one full-replace PUT."""

from __future__ import annotations

from collections import defaultdict

from fusionhub.plugin import (
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    InventoryTarget,
    StoreContext,
    hookimpl,
)
from fusionhub.plugin import params as p
from fusionhub_etsy import inventory
from fusionhub_etsy.client import call, etsy_id
from fusionhub_etsy.mapping import levels_of


def _change(target: InventoryTarget, loc: str) -> inventory.VariantChange:
    return inventory.VariantChange(loc=loc, variant_id=target.variant_id, sku=target.sku, quantity=target.quantity)


def _need_listing(target: InventoryTarget, loc: str) -> str:
    return etsy_id(target.product_id, f"{loc}.product_id")  # Etsy's inventory belongs to a listing


@hookimpl
async def get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    listing_id = etsy_id(params.product_id, "params.product_id")  # Etsy has no lookup by SKU alone
    found = levels_of(listing_id, await call(ctx, "getListingInventory", listing_id=listing_id))
    if params.skus:
        found = [level for level in found if level.sku in set(params.skus)]
    return InventoryLevels(levels=found)


@hookimpl
async def update_variant_inventory(ctx: StoreContext, params: p.UpdateVariantInventoryParams) -> InventoryLevel:
    listing_id = _need_listing(params.target, "params.target")
    change = _change(params.target, "params.target")
    new, changed = await inventory.apply_changes(ctx, listing_id, [change])
    if not changed:  # already at the target
        return next(
            lv for lv in levels_of(listing_id, new) if lv.sku == change.sku or lv.variant_id == change.variant_id
        )
    return changed[0]


@hookimpl
async def sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    by_listing: dict[str, list[inventory.VariantChange]] = defaultdict(list)
    for i, target in enumerate(params.levels):
        loc = f"params.levels.{i}"
        by_listing[_need_listing(target, loc)].append(_change(target, loc))
    updated: list[InventoryLevel] = []
    unchanged = 0
    for listing_id, changes in by_listing.items():
        _, changed_levels = await inventory.apply_changes(ctx, listing_id, changes)
        updated.extend(changed_levels)
        unchanged += len(changes) - len(changed_levels)
    return InventorySyncResult(updated=updated, unchanged=max(0, unchanged))
