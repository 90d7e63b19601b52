"""Stock levels: one quantity of one variant (SKU) at one location."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from fusionhub.models.common import MAX_QUANTITY, Model


class InventoryLevel(Model):
    product_id: str | None = None
    variant_id: str | None = None
    sku: str | None = None
    inventory_item_id: str | None = None
    location_id: str | None = None
    available: int | None = Field(default=None, description="None = not tracked (print on demand, digital)")
    updated_at: datetime | None = None


class InventoryTarget(Model):
    """Set a variant's available quantity. Name the variant by id or by SKU."""

    variant_id: str | None = None
    sku: str | None = None
    product_id: str | None = None
    inventory_item_id: str | None = None
    location_id: str | None = None
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="available units: never negative")

    @model_validator(mode="after")
    def _named(self) -> InventoryTarget:
        if not (self.variant_id or self.sku or self.inventory_item_id):
            raise ValueError("name the variant: set variant_id, sku or inventory_item_id")
        return self


class InventorySyncResult(Model):
    updated: list[InventoryLevel]
    unchanged: int = Field(default=0, ge=0)
