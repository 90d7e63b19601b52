"""Products: list (page-numbered), get, create from a blueprint, update (read-only fields refused,
publishing lock retryable, publish and its acknowledgement), delete (permanent only)."""

from __future__ import annotations

import re
from typing import Any

from fusionhub.plugin import (
    DeleteResult,
    NotFound,
    Page,
    PageNumberCursor,
    Product,
    ProductStatus,
    StoreContext,
    hookimpl,
)
from fusionhub.plugin import params as p
from fusionhub_printify import catalog, fields, unverified
from fusionhub_printify.client import call, refuse
from fusionhub_printify.config import SLUG, ShopConfig
from fusionhub_printify.mapping import Json, product, to_cents
from fusionhub_printify.variants import VariantEdit, put_variants

# Printify product ids are 24 hex digits (e.g. 5d39b159e7c48c000728c89f).
PRODUCT_ID = re.compile(r"^[0-9a-f]{24}$")


def product_id(value: str, loc: str = "params.product_id") -> str:
    if not PRODUCT_ID.match(value):
        raise refuse(loc, "a Printify product id is 24 hexadecimal digits")
    return value


def currency(ctx: StoreContext) -> str:
    return ShopConfig.of(ctx.config).currency


async def fetch(ctx: StoreContext, pid: str) -> Json:
    found: Json = await call(ctx, "getProduct", product_id=pid)
    return found


@hookimpl
async def list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    for name in ("status", "query", "updated_since"):
        if getattr(params, name) is not None:
            raise refuse(f"params.{name}", "Printify's products.json has no such filter")
    at = PageNumberCursor.decode(params.cursor, platform=SLUG)
    limit = int(at.filters.get("limit") or min(params.limit, unverified.PRODUCTS_MAX_LIMIT))
    page = await call(ctx, "listProducts", params={"limit": limit, "page": at.page})
    items = [product(d, currency(ctx)) for d in page.get("data", [])]
    following = PageNumberCursor(at.page, {"limit": limit}).next(len(items), last_page=page.get("last_page"))
    return Page[Product](items=items, next_cursor=following, total=page.get("total"))


@hookimpl
async def get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    return product(await fetch(ctx, product_id(params.product_id)), currency(ctx))


async def publish(ctx: StoreContext, pid: str) -> None:
    """Ask Printify to publish to the shop's sales channel; the product stays locked until acknowledged."""
    await call(ctx, "publishProduct", json=fields.PUBLISH_ALL, product_id=pid)


@hookimpl
async def create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    item = params.product
    plan = catalog.Blueprint.of(item)  # every local check, before any request
    if item.status not in (ProductStatus.DRAFT, ProductStatus.ACTIVE):
        raise refuse("params.product.status", "a new Printify product is a draft, or active (published at once)")
    pairs = plan.chosen(await plan.catalog_variants(ctx))
    uploads = await catalog.upload(ctx, item.images) if plan.print_areas is None else []
    body = catalog.creation_body(item, plan, pairs, uploads)
    # A re-run after a lost answer would look for an earlier product here (same title and blueprint).
    created: Json = await call(ctx, "createProduct", json=body)
    if item.status is ProductStatus.ACTIVE:
        await publish(ctx, str(created["id"]))
        created = await fetch(ctx, str(created["id"]))
    return product(created, currency(ctx))


def _variant_edits(changes: Any) -> list[VariantEdit]:
    edits = []
    if changes.price is not None:
        edits.append(VariantEdit(loc="params.changes.price", every=True, price=to_cents(changes.price)))
    for i, v in enumerate(changes.variants or []):
        loc = f"params.changes.variants.{i}"
        if not (v.id or v.sku):
            raise refuse(loc, "name the variant by its Printify id or its SKU")
        for name in fields.READ_ONLY_VARIANT:
            if getattr(v, name) not in (None, {}, []):
                raise refuse(f"{loc}.{name}", "comes from the catalog and cannot be changed")
        if v.inventory_quantity is not None:
            raise refuse(f"{loc}.inventory_quantity", "Printify counts no stock: use update_variant_inventory")
        if v.price is None and v.available is None:
            raise refuse(loc, "set price or available (the only variant fields Printify lets change)")
        if v.id and v.sku:
            raise refuse(f"{loc}.sku", "name the variant by id or by SKU, not both (SKUs are not changed here)")
        price = to_cents(v.price) if v.price is not None else None
        edits.append(VariantEdit(loc=loc, variant_id=v.id, sku=v.sku, price=price, enabled=v.available))
    return edits


def _plain_changes(changes: Any) -> tuple[Json, bool, tuple[str, Any] | None]:
    """The PUT body's plain fields, whether to publish, and a publishing acknowledgement; refusals first."""
    body: Json = {}
    for name, why in fields.READ_ONLY_CHANGES.items():
        if getattr(changes, name) is not None:
            raise refuse(f"params.changes.{name}", why)
    for name in ("title", "description", "tags"):
        if getattr(changes, name) is not None:
            body[name] = getattr(changes, name)
    publish_now = False
    if changes.status is not None:
        if changes.status is not ProductStatus.ACTIVE:
            msg = "Printify can only publish (active): take a product off a sales channel in that channel"
            raise refuse("params.changes.status", msg)
        publish_now = True
    ack: tuple[str, Any] | None = None
    for key, value in changes.platform_fields.items():
        loc = f"params.changes.platform_fields.{key}"
        if key in fields.READ_ONLY_FIELDS:
            raise refuse(loc, f"read-only: {fields.READ_ONLY_FIELDS[key]}")
        if key in fields.WRITABLE_FIELDS:
            body[key] = value
        elif key == fields.PUBLISHING_SUCCEEDED:
            if not isinstance(value, dict) or not value.get("id"):
                raise refuse(loc, "the published product: {id, handle} on the sales channel")
            ack = ("publishingSucceeded", {"external": {"id": str(value["id"]), "handle": value.get("handle", "")}})
        elif key == fields.PUBLISHING_FAILED:
            if not isinstance(value, str) or not value:
                raise refuse(loc, "the reason publishing failed")
            ack = ("publishingFailed", {"reason": value})
        else:
            raise refuse(loc, "not a Printify product field this plugin sends")
    return body, publish_now, ack


@hookimpl
async def update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    pid = product_id(params.product_id)
    body, publish_now, ack = _plain_changes(params.changes)
    edits = _variant_edits(params.changes)  # every refusal before the first request
    latest: Json | None = None
    if ack is not None:  # first: an acknowledgement is what unlocks a product being published
        await call(ctx, ack[0], json=ack[1], product_id=pid)
    if edits:
        body["variants"], _ = put_variants(await fetch(ctx, pid), edits)
    if body:
        latest = await call(ctx, "updateProduct", json=body, product_id=pid)
    if publish_now:
        await publish(ctx, pid)
        latest = None  # publishing locks it: read it back as it now is
    return product(latest or await fetch(ctx, pid), currency(ctx))


@hookimpl
async def delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    pid = product_id(params.product_id)
    if not params.permanent:
        msg = "Printify has no archive: its delete is permanent. Set permanent=true to delete the product"
        raise refuse("params.permanent", msg)
    try:
        await call(ctx, "deleteProduct", product_id=pid)
    except NotFound:
        if not ctx.rerun:
            raise
        # once = "natural": an earlier run of this very call may have deleted it already
    return DeleteResult(product_id=pid, permanent=True)
