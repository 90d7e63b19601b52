"""Inventory capabilities: read levels, set one variant's quantity, push many (250 per call)."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import (
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    InventoryTarget,
    Step,
    StoreContext,
    ValidationError,
    hookimpl,
    relay,
    stream,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute, page_size, shop_config
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping import inventory as m
from fusionhub_shopify.ops import shop
from fusionhub_shopify.responses import found, payload

LEVELS = 5  # locations read per inventory item
SET_BATCH = 250  # quantities per inventorySetQuantities call
REASON = "correction"
REFERENCE = "fusionhub://sync"


async def _by_product(ctx: StoreContext, product_id: str) -> list[dict[str, Any]]:
    async def page(after: str | None) -> Step[Any, str]:
        first = page_size(ctx, "InventoryByProduct", {"levelsFirst": LEVELS}, 100)
        variables = {"id": gid("Product", product_id), "first": first, "after": after, "levelsFirst": LEVELS}
        data = await execute(ctx, "InventoryByProduct", variables)
        return relay(found(data, "product", f"product {product_id}")["variants"])

    return [variant async for variant in stream(page)]


async def _by_skus(ctx: StoreContext, skus: list[str]) -> list[dict[str, Any]]:
    size = page_size(ctx, "InventoryByVariants", {"levelsFirst": LEVELS}, 250)
    variants: list[dict[str, Any]] = []
    for start in range(0, len(skus), size):
        chunk = skus[start : start + size]
        data = await execute(
            ctx, "InventoryByVariants", {"first": size, "query": m.sku_query(chunk), "levelsFirst": LEVELS}
        )
        wanted = set(chunk)  # the search is fuzzy; keep exact SKU matches only
        variants += [v for v in data["productVariants"]["nodes"] if v.get("sku") in wanted]
    return variants


@hookimpl
async def get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    location = gid("Location", params.location_id) if params.location_id else None
    variants = await _by_product(ctx, params.product_id) if params.product_id else []
    if params.skus:
        seen = {v["id"] for v in variants}
        variants += [v for v in await _by_skus(ctx, params.skus) if v["id"] not in seen]
    return InventoryLevels(levels=[lvl for v in variants for lvl in m.levels_from(v, location)])


async def _resolve(ctx: StoreContext, targets: list[InventoryTarget]) -> list[str]:
    """Each target's inventory item id (by item id, variant id, or SKU), in order."""
    found: dict[str, str] = {}  # by variant gid or "sku:<sku>"
    wanted = [gid("ProductVariant", t.variant_id) for t in targets if not t.inventory_item_id and t.variant_id]
    for variant in dict.fromkeys(wanted):  # each once, in order
        data = await execute(ctx, "VariantInventory", {"id": variant, "levelsFirst": LEVELS})
        if data.get("productVariant"):
            found[variant] = data["productVariant"]["inventoryItem"]["id"]
    skus = [t.sku for t in targets if not t.inventory_item_id and not t.variant_id and t.sku]
    for v in await _by_skus(ctx, skus) if skus else []:
        found[f"sku:{v['sku']}"] = v["inventoryItem"]["id"]
    out, errors = [], []
    for i, t in enumerate(targets):
        key = gid("ProductVariant", t.variant_id) if t.variant_id else f"sku:{t.sku}"
        item = gid("InventoryItem", t.inventory_item_id) if t.inventory_item_id else found.get(key)
        if item is None:
            errors.append({"loc": f"levels.{i}", "msg": f"no Shopify variant {t.variant_id or t.sku}"})
        out.append(item or "")
    if errors:
        raise ValidationError(errors=errors, platform="shopify")
    return out


async def _set(ctx: StoreContext, quantities: list[dict[str, Any]]) -> None:
    for start in range(0, len(quantities), SET_BATCH):
        chunk = quantities[start : start + SET_BATCH]
        variables = {"name": m.AVAILABLE, "reason": REASON, "referenceDocumentUri": REFERENCE, "quantities": chunk}
        data = await execute(ctx, "InventorySetQuantities", variables, part=start)
        payload(data, "inventorySetQuantities", prefix="levels")


@hookimpl
async def sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    items = await _resolve(ctx, params.levels)
    version = shop_config(ctx).api_version
    quantities, updated = [], []
    for target, item in zip(params.levels, items, strict=True):
        location = await shop.location(ctx, target.location_id or params.location_id)
        quantities.append(m.quantity_input(item, location, target.quantity, version))
        updated.append(m.level_set(target, item, location))
    await _set(ctx, quantities)
    return InventorySyncResult(updated=updated)


@hookimpl
async def update_variant_inventory(ctx: StoreContext, params: p.UpdateVariantInventoryParams) -> InventoryLevel:
    result = await sync_inventory(ctx, p.SyncInventoryParams(levels=[params.target]))
    return result.updated[0]
