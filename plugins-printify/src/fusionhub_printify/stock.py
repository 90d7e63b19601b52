"""Inventory as print on demand has it: nothing is counted, a variant can be ordered or not.

Reading: each variant's level is None (made to order, not counted) or 0 (disabled by the
merchant, or its provider cannot make it). Writing a quantity: 0 disables the variant, any other
quantity enables it; per product one read and, when something changes, one PUT of its variants.
"""

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
from fusionhub_printify.client import call, refuse
from fusionhub_printify.mapping import Json, level
from fusionhub_printify.products import fetch, product_id
from fusionhub_printify.variants import VariantEdit, put_variants


def _edit(target: InventoryTarget, loc: str) -> VariantEdit:
    if target.inventory_item_id and not (target.variant_id or target.sku):
        raise refuse(f"{loc}.inventory_item_id", "Printify variants have no inventory item: name the variant or SKU")
    return VariantEdit(loc=loc, variant_id=target.variant_id, sku=target.sku, enabled=target.quantity > 0)


def _product_of(target: InventoryTarget, loc: str) -> str:
    if not target.product_id:
        raise refuse(f"{loc}.product_id", "Printify variants belong to a product: set product_id")
    return product_id(target.product_id, f"{loc}.product_id")


async def _apply(ctx: StoreContext, pid: str, edits: list[VariantEdit]) -> tuple[list[InventoryLevel], int, Json]:
    """The changed variants' levels, how many targets were already as asked, and the product as it stands."""
    current = await fetch(ctx, pid)
    variants, changed = put_variants(current, edits)
    if not changed:
        return [], len(edits), current
    updated: Json = await call(ctx, "updateProduct", json={"variants": variants}, product_id=pid)
    ids = {str(current["variants"][i]["id"]) for i in changed}
    levels = [level(pid, v) for v in updated.get("variants") or [] if str(v["id"]) in ids]
    return levels, max(0, len(edits) - len(changed)), updated


@hookimpl
async def get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    if params.product_id is None:
        raise refuse("params.product_id", "Printify has no look-up by SKU alone: set product_id")
    if params.location_id is not None:
        raise refuse("params.location_id", "Printify's providers print to order: there are no locations")
    pid = product_id(params.product_id)
    levels = [level(pid, v) for v in (await fetch(ctx, pid)).get("variants") or []]
    if params.skus:
        wanted = set(params.skus)
        levels = [lv for lv in levels if lv.sku in wanted]
    return InventoryLevels(levels=levels)


@hookimpl
async def update_variant_inventory(ctx: StoreContext, params: p.UpdateVariantInventoryParams) -> InventoryLevel:
    target, loc = params.target, "params.target"
    pid, edit = _product_of(target, loc), _edit(target, loc)
    _, _, product = await _apply(ctx, pid, [edit])
    return level(pid, next(v for v in product.get("variants") or [] if edit.matches(v)))


@hookimpl
async def sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    by_product: dict[str, list[VariantEdit]] = defaultdict(list)
    for i, target in enumerate(params.levels):
        loc = f"params.levels.{i}"
        by_product[_product_of(target, loc)].append(_edit(target, loc))
    updated: list[InventoryLevel] = []
    unchanged = 0
    for pid, edits in by_product.items():
        levels, same, _ = await _apply(ctx, pid, edits)
        updated.extend(levels)
        unchanged += same
    return InventorySyncResult(updated=updated, unchanged=unchanged)
