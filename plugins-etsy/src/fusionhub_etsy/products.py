"""Products as Etsy listings: list, get, create (draft + inventory + images), update, deactivate/delete."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import (
    AuthError,
    DeleteResult,
    OffsetCursor,
    Page,
    Product,
    ProductInput,
    ProductStatus,
    StoreContext,
    ValidationError,
    hookimpl,
)
from fusionhub.plugin import params as p
from fusionhub_etsy import images, inventory
from fusionhub_etsy.client import call, etsy_id
from fusionhub_etsy.listing_forms import create_fields, update_fields
from fusionhub_etsy.mapping import Json, product
from fusionhub_etsy.scopes import PERMANENT_DELETE_FLAG

MAX_PAGE = 100  # getListingsByShop's limit maximum
LISTING_STATES = ("active", "inactive", "draft", "sold_out", "expired")
STATE_OF_STATUS = {"archived": "expired"}
# Etsy's properties for seller-defined variations (first and second option) [unverified ids].
CUSTOM_PROPERTIES = (513, 514)
INCLUDES = {"includes": ["Images", "Inventory"]}


@hookimpl
async def list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    if params.query is not None or params.updated_since is not None:
        field = "params.query" if params.query is not None else "params.updated_since"
        raise ValidationError(errors=[{"loc": field, "msg": "getListingsByShop has no such filter"}], platform="etsy")
    at = OffsetCursor.decode(params.cursor, platform="etsy")
    state = at.filters.get("state") or STATE_OF_STATUS.get(params.status or "", params.status) or "active"
    if state not in LISTING_STATES:
        raise ValidationError(errors=[{"loc": "params.status", "msg": f"one of {', '.join(LISTING_STATES)}"}])
    query = {"state": state, "limit": min(params.limit, MAX_PAGE), "offset": at.offset}
    page = await call(ctx, "getListingsByShop", params=query)
    results, count = page.get("results", []), int(page.get("count", 0))
    next_cursor = OffsetCursor(at.offset, {"state": state}).next(len(results), total=count)
    return Page[Product](items=[product(r) for r in results], next_cursor=next_cursor, total=count)


@hookimpl
async def get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    return product(
        await call(ctx, "getListing", params=INCLUDES, listing_id=etsy_id(params.product_id, "params.product_id"))
    )


def _variant_inventory(item: ProductInput, price: Any) -> Json | None:
    """Initial inventory when the product has SKUs or several variants; None keeps Etsy's default."""
    if not any(v.sku for v in item.variants) and len(item.variants) <= 1:
        return None
    if len(item.options) > len(CUSTOM_PROPERTIES):
        raise ValidationError(
            errors=[{"loc": "params.product.options", "msg": "Etsy listings vary on at most 2 options"}]
        )
    ids = {option.name: CUSTOM_PROPERTIES[i] for i, option in enumerate(item.options)}
    products = []
    for i, variant in enumerate(item.variants):
        unknown = [name for name in variant.options if name not in ids]
        if unknown:
            raise ValidationError(
                errors=[{"loc": f"params.product.variants.{i}.options", "msg": f"unknown option {unknown[0]}"}]
            )
        products.append(
            {
                "sku": variant.sku or "",
                "property_values": [
                    {"property_id": ids[name], "property_name": name, "values": [value], "value_ids": []}
                    for name, value in variant.options.items()
                ],
                "offerings": [
                    {
                        "price": float(variant.price.amount if variant.price else price),
                        "quantity": variant.inventory_quantity if variant.inventory_quantity is not None else 1,
                        "is_enabled": variant.available is not False,
                        "readiness_state_id": None,  # the new listing's, filled in after creation
                    }
                ],
            }
        )
    varying = list(ids.values())
    return {
        "products": products,
        "price_on_property": varying if len({v.price for v in item.variants}) > 1 else [],
        "quantity_on_property": varying if len(item.variants) > 1 else [],
        "sku_on_property": varying if len(item.variants) > 1 else [],
    }


@hookimpl
async def create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    item = params.product
    fields = create_fields(item, ctx.config.get("listing_defaults"))
    body = _variant_inventory(item, fields["price"])  # validated before anything is sent
    listing: Json = await call(ctx, "createDraftListing", data=fields)
    listing_id = str(listing["listing_id"])
    if body is not None:
        ready = fields.get("readiness_state_id") or listing.get("readiness_state_id")
        for entry in body["products"]:
            entry["offerings"][0]["readiness_state_id"] = ready
        listing["inventory"] = await call(ctx, "updateListingInventory", json=body, listing_id=listing_id)
    if item.images:
        listing["images"] = await images.upload_all(ctx, listing_id, item.images)
    if item.status is ProductStatus.ACTIVE:
        extra: Json = {k: listing[k] for k in ("inventory", "images") if k in listing}
        listing = {**await call(ctx, "updateListing", data={"state": "active"}, listing_id=listing_id), **extra}
    return product(listing)


def _variant_changes(changes: Any) -> list[inventory.VariantChange]:
    wanted: list[inventory.VariantChange] = []
    if changes.price is not None:
        wanted.append(
            inventory.VariantChange(loc="params.changes.price", every=True, price=float(changes.price.amount))
        )
    for i, variant in enumerate(changes.variants or []):
        if not (variant.id or variant.sku):
            raise ValidationError(
                errors=[{"loc": f"params.changes.variants.{i}", "msg": "name the variant by id or sku"}]
            )
        wanted.append(
            inventory.VariantChange(
                loc=f"params.changes.variants.{i}",
                variant_id=variant.id,
                sku=variant.sku if variant.id is None else None,
                new_sku=variant.sku if variant.id is not None else None,
                quantity=variant.inventory_quantity,
                price=float(variant.price.amount) if variant.price else None,
            )
        )
    return wanted


@hookimpl
async def update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    listing_id = etsy_id(params.product_id, "params.product_id")
    fields = update_fields(params.changes)
    wanted = _variant_changes(params.changes)
    listing: Json | None = await call(ctx, "updateListing", data=fields, listing_id=listing_id) if fields else None
    if wanted:
        new_inventory, _ = await inventory.apply_changes(ctx, listing_id, wanted)
        listing = listing or await call(ctx, "getListing", params={"includes": ["Images"]}, listing_id=listing_id)
        listing = {**listing, "inventory": new_inventory}
    assert listing is not None  # params guarantee at least one change
    return product(listing)


@hookimpl
async def delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    """The specification's "Deactivate listing" by default; deleteListing only when asked and allowed."""
    listing_id = etsy_id(params.product_id, "params.product_id")
    if params.permanent:
        if not ctx.config.get(PERMANENT_DELETE_FLAG):
            raise AuthError(
                "permanent delete is off for this store: set allow_permanent_delete and reconnect it "
                "(that grants the listings_d scope)",
                platform="etsy",
            )
        await call(ctx, "deleteListing", listing_id=listing_id)
    else:
        await call(ctx, "updateListing", data={"state": "inactive"}, listing_id=listing_id)
    return DeleteResult(product_id=listing_id, permanent=params.permanent)
