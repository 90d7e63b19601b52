"""Stock: MFN quantities are the listing's `fulfillment_availability` (channel DEFAULT), patched per SKU;
FBA quantities are Amazon's, read with getInventorySummaries (≤ 50 SKUs per call, nextToken).

Locations: `DEFAULT` is the seller's own (MFN) stock; `AFN:<marketplace>` is what Amazon's
fulfillment centres hold for that marketplace, which only Amazon changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fusionhub.plugin import (
    InventoryLevel,
    InventoryLevels,
    InventorySyncResult,
    InventoryTarget,
    StoreContext,
    hookimpl,
    stream,
)
from fusionhub.plugin import (
    params as p,
)
from fusionhub_amazon import attributes, mapping
from fusionhub_amazon.client import call, invalid, marketplace_id
from fusionhub_amazon.listings import get_item, patch

FBA_SKUS_PER_CALL = 50  # getInventorySummaries' sellerSkus maxItems


def _sku(target: InventoryTarget, where: str) -> str:
    sku = target.sku or target.variant_id or target.product_id
    if not sku:
        raise invalid(f"{where}.sku", "name the SKU (Amazon identifies stock by seller SKU)")
    if target.location_id not in (None, attributes.MFN_CHANNEL):
        raise invalid(f"{where}.location_id", "only DEFAULT (the seller's own stock) can be set; FBA stock is Amazon's")
    return sku


async def _set(ctx: StoreContext, target: InventoryTarget, where: str) -> InventoryLevel:
    sku = _sku(target, where)
    await patch(ctx, sku, attributes.OFFER_PRODUCT_TYPE, [attributes.stock_patch(target.quantity)])
    return InventoryLevel(
        product_id=sku, variant_id=sku, sku=sku, location_id=attributes.MFN_CHANNEL, available=target.quantity
    )


@hookimpl
async def update_variant_inventory(ctx: StoreContext, params: p.UpdateVariantInventoryParams) -> InventoryLevel:
    return await _set(ctx, params.target, "target")


@hookimpl
async def sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult:
    default = params.location_id
    updated = []
    for i, level in enumerate(params.levels):
        target = level if level.location_id or default is None else level.model_copy(update={"location_id": default})
        updated.append(await _set(ctx, target, f"levels.{i}"))
    return InventorySyncResult(updated=updated)


def fba_summaries(ctx: StoreContext, skus: list[str]) -> AsyncIterator[dict[str, Any]]:
    """FBA inventory summaries of `skus` in the store's marketplace, 50 SKUs a call, every page."""
    market = marketplace_id(ctx)

    async def fetch(
        position: tuple[int, str | None] | None,
    ) -> tuple[list[dict[str, Any]], tuple[int, str | None] | None]:
        start, token = position or (0, None)
        body = await call(
            ctx,
            "getInventorySummaries",
            params={
                "details": True,
                "granularityType": "Marketplace",
                "granularityId": market,
                "marketplaceIds": [market],
                "sellerSkus": skus[start : start + FBA_SKUS_PER_CALL],
                "nextToken": token,
            },
        )
        found = list((body.get("payload") or {}).get("inventorySummaries") or [])
        following = (body.get("pagination") or {}).get("nextToken")
        if following:
            return found, (start, following)
        if start + FBA_SKUS_PER_CALL < len(skus):
            return found, (start + FBA_SKUS_PER_CALL, None)
        return found, None

    return stream(fetch)


@hookimpl
async def get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels:
    skus = list(dict.fromkeys(params.skus or [str(params.product_id)]))
    where = params.location_id
    levels: list[InventoryLevel] = []
    held: set[str] = set()
    if where is None or where.startswith("AFN"):
        market = marketplace_id(ctx)
        async for summary in fba_summaries(ctx, skus):
            if summary.get("sellerSku") in skus:
                levels.append(mapping.fba_level(summary, market))
                held.add(summary["sellerSku"])
    if where is None or where == attributes.MFN_CHANNEL:
        for sku in skus:
            if where is None and sku in held:
                continue  # an FBA SKU: Amazon's count is the stock
            levels.append(mapping.mfn_level(await get_item(ctx, sku, ["fulfillmentAvailability"])))
    return InventoryLevels(levels=levels)
