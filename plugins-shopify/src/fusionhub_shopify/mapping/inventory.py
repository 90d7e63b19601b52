"""Inventory: a variant's inventory item and its levels → InventoryLevel; targets → quantities input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import InventoryLevel, InventoryTarget

AVAILABLE = "available"


def levels_from(variant: dict[str, Any], location_id: str | None = None) -> list[InventoryLevel]:
    """One level per location of the variant's item (untracked items: one level, available None)."""
    item = variant.get("inventoryItem") or {}
    base = {
        "product_id": (variant.get("product") or {}).get("id"),
        "variant_id": variant.get("id"),
        "sku": variant.get("sku") or None,
        "inventory_item_id": item.get("id"),
    }
    if item.get("tracked") is False:
        return [InventoryLevel(**base, location_id=location_id, available=None)]
    out = []
    for level in (item.get("inventoryLevels") or {}).get("nodes") or ():
        where = (level.get("location") or {}).get("id")
        if location_id and where != location_id:
            continue
        quantity = next((q["quantity"] for q in level.get("quantities") or () if q.get("name") == AVAILABLE), None)
        updated = level.get("updatedAt")
        out.append(
            InventoryLevel(
                **base,
                location_id=where,
                available=quantity,
                updated_at=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
            )
        )
    return out


def quantity_input(item_id: str, location_id: str, quantity: int, api_version: str) -> dict[str, Any]:
    """One InventoryQuantityInput in the shape the store's API version wants."""
    out: dict[str, Any] = {"inventoryItemId": item_id, "locationId": location_id, "quantity": quantity}
    if api_version >= "2026-04":
        out["changeFromQuantity"] = None  # mandatory from 2026-04; null = no compare-and-swap
    return out


def level_set(target: InventoryTarget, item_id: str, location_id: str) -> InventoryLevel:
    """The level a target becomes once its quantity is set."""
    return InventoryLevel(
        product_id=target.product_id,
        variant_id=target.variant_id,
        sku=target.sku,
        inventory_item_id=item_id,
        location_id=location_id,
        available=target.quantity,
        updated_at=None,
    )


def sku_query(skus: list[str]) -> str:
    """Shopify's variant search for exactly these SKUs, quoted."""
    return " OR ".join("sku:" + '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in skus)
