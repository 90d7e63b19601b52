"""Listing inventory: Etsy's PUT replaces every product (variant) of a listing.

So a change to one variant is read-modify-write: GET the inventory, change the matching
offerings, and PUT the whole list back, the untouched variants included. The GET shape
(Money prices, ids, is_deleted) is converted to the PUT shape here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from fusionhub.plugin import InventoryLevel, StoreContext, ValidationError
from fusionhub_etsy.client import call
from fusionhub_etsy.mapping import Json, levels_of, money

ON_PROPERTY = ("price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property")


@dataclass(frozen=True, slots=True)
class VariantChange:
    """One variant to change: named by Etsy product id or SKU; None fields stay as they are."""

    loc: str  # the input field path, for errors
    variant_id: str | None = None
    sku: str | None = None
    quantity: int | None = None
    price: float | None = None
    new_sku: str | None = None
    every: bool = False  # every variant of the listing (a new price for all)

    def matches(self, product: Json) -> bool:
        if self.every:
            return True
        if self.variant_id is not None:
            return str(product.get("product_id")) == self.variant_id
        return self.sku is not None and product.get("sku") == self.sku

    def apply(self, put_product: Json) -> None:
        if self.new_sku is not None:
            put_product["sku"] = self.new_sku
        for offering in put_product["offerings"]:
            offering["quantity"] = offering["quantity"] if self.quantity is None else self.quantity
            offering["price"] = offering["price"] if self.price is None else self.price


def _offering_for_put(offering: Json) -> Json:
    price = money(offering.get("price"))
    return {
        "price": float(price.amount) if price else 0.0,
        "quantity": int(offering.get("quantity") or 0),
        "is_enabled": bool(offering.get("is_enabled", True)),
        "readiness_state_id": offering.get("readiness_state_id"),
    }


def _property_for_put(value: Json) -> Json:
    out: Json = {
        "property_id": value["property_id"],
        "value_ids": list(value.get("value_ids") or []),
        "values": list(value.get("values") or []),
    }
    out.update({key: value[key] for key in ("scale_id", "property_name") if value.get(key) is not None})
    return out


def put_body(live: list[Json], inventory: Json) -> Json:
    """The PUT body that keeps the `live` (not deleted) products of `inventory` as they are."""
    products = [
        {
            "sku": item.get("sku") or "",
            "property_values": [_property_for_put(v) for v in item.get("property_values", [])],
            "offerings": [_offering_for_put(o) for o in item.get("offerings", []) if not o.get("is_deleted")],
        }
        for item in live
    ]
    return {
        "products": products,
        **{key: list(inventory[key]) for key in ON_PROPERTY if inventory.get(key) is not None},
    }


async def apply_changes(
    ctx: StoreContext, listing_id: str, changes: Iterable[VariantChange]
) -> tuple[Json, list[InventoryLevel]]:
    """Read-modify-write of one listing's inventory: Etsy's new inventory and the changed variants' levels.

    Etsy gives variants new product ids on every PUT but keeps their order, so callers find the
    changed variants in the result by position.
    """
    wanted = list(changes)
    current: Json = await call(ctx, "getListingInventory", listing_id=listing_id)
    live = [p for p in current.get("products", []) if not p.get("is_deleted")]
    missing = [c for c in wanted if not any(c.matches(p) for p in live)]
    if missing:
        raise ValidationError(
            errors=[
                {"loc": c.loc, "msg": f"listing {listing_id} has no variant {c.variant_id or c.sku!r}"} for c in missing
            ],
            platform="etsy",
        )
    unchanged = put_body(live, current)
    body = copy.deepcopy(unchanged)
    changed = set()
    for i, (item, put_product) in enumerate(zip(live, body["products"], strict=True)):
        for change in (c for c in wanted if c.matches(item)):
            change.apply(put_product)
            changed.add(i)
    if body == unchanged:
        return current, []  # nothing to change: no write
    result: Json = await call(ctx, "updateListingInventory", json=body, listing_id=listing_id)
    return result, [level for i, level in enumerate(levels_of(listing_id, result)) if i in changed]
