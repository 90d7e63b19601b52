"""Inventory capabilities: per listing, one GET and at most one full-replace PUT."""

from __future__ import annotations

from collections import defaultdict

from fusionhub.plugin import (
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    InventoryTarget,
    StoreContext,
    ValidationError,
)
from fusionhub.plugin import params as p
from fusionhub_etsy import inventory
from fusionhub_etsy.client import EtsyClient
from fusionhub_etsy.mapping import levels_of


def _change(target: InventoryTarget, loc: str) -> inventory.VariantChange:
    return inventory.VariantChange(loc=loc, variant_id=target.variant_id, sku=target.sku, quantity=target.quantity)


def _need_listing(target: InventoryTarget, loc: str) -> str:
    if not target.product_id:
        msg = "Etsy inventory belongs to a listing: set product_id (the listing id)"
        raise ValidationError(errors=[{"loc": f"{loc}.product_id", "msg": msg}], platform="etsy")
    return target.product_id


async def get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    if params.product_id is None:
        msg = "Etsy has no inventory lookup by SKU alone: set product_id (the listing id)"
        raise ValidationError(errors=[{"loc": "params.product_id", "msg": msg}], platform="etsy")
    found = levels_of(params.product_id, await EtsyClient(ctx).inventory(params.product_id))
    if params.skus:
        found = [level for level in found if level.sku in set(params.skus)]
    return InventoryLevels(levels=found)


async def update_variant_inventory(ctx: StoreContext, params: p.UpdateVariantInventoryParams) -> InventoryLevel:
    listing_id = _need_listing(params.target, "params.target")
    change = _change(params.target, "params.target")
    new, positions = await inventory.apply_changes(EtsyClient(ctx), listing_id, [change])
    if not positions:  # already at the target
        return next(
            lv for lv in levels_of(listing_id, new) if lv.sku == change.sku or lv.variant_id == change.variant_id
        )
    return inventory.levels_at(listing_id, new, positions)[0]


async def sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    by_listing: dict[str, list[inventory.VariantChange]] = defaultdict(list)
    for i, target in enumerate(params.levels):
        loc = f"params.levels.{i}"
        by_listing[_need_listing(target, loc)].append(_change(target, loc))
    client = EtsyClient(ctx)
    updated: list[InventoryLevel] = []
    unchanged = 0
    for listing_id, changes in by_listing.items():
        new, positions = await inventory.apply_changes(client, listing_id, changes)
        changed_levels = inventory.levels_at(listing_id, new, positions)
        updated.extend(changed_levels)
        unchanged += len(changes) - len(changed_levels)
    return InventorySyncResult(updated=updated, unchanged=max(0, unchanged))
