"""Catalog capabilities: list (one page, sized to the cost budget), get, create, update, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fusionhub.plugin import (
    DeleteResult,
    Page,
    Product,
    Step,
    StoreContext,
    ValidationError,
    Variant,
    each_item,
    hookimpl,
    relay,
    stream,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.client import execute, page_size
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping import products as m
from fusionhub_shopify.ops import shop
from fusionhub_shopify.responses import found, payload

LIST_VARIANTS = 10  # variants fetched inline per listed product; more are paged in separately
GET_VARIANTS = 100  # the specification's max_variants_per_product: one request for a whole product
MAX_VARIANTS = 100


async def _all_variants(ctx: StoreContext, node: dict[str, Any]) -> list[dict[str, Any]]:
    """The product's variants: the inline page, then further pages when it has more."""

    async def more(after: str | None) -> Step[Any, str]:
        data = await execute(ctx, "ProductVariantsPage", {"id": node["id"], "first": GET_VARIANTS, "after": after})
        return relay(data["product"]["variants"])

    return [variant async for variant in stream(more, first=relay(node["variants"]))]


async def _product(ctx: StoreContext, node: dict[str, Any]) -> Product:
    return m.product_from(node, await _all_variants(ctx, node), await shop.currency(ctx))


@hookimpl
async def list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    first = page_size(ctx, "Products", {"variantsFirst": LIST_VARIANTS}, params.limit)
    variables = {
        "first": first,
        "after": params.cursor,
        "query": m.search_query(params),
        "variantsFirst": LIST_VARIANTS,
    }
    nodes, cursor = relay((await execute(ctx, "Products", variables))["products"])
    return Page[Product](items=[await _product(ctx, node) for node in nodes], next_cursor=cursor)


def stream_products(ctx: StoreContext, params: p.ListProductsParams) -> AsyncIterator[Product]:
    """Every product, page after page, holding one page at a time."""
    return each_item(partial(list_products, ctx), params)


async def fetch(ctx: StoreContext, product_id: str) -> Product:
    data = await execute(ctx, "Product", {"id": gid("Product", product_id), "variantsFirst": GET_VARIANTS})
    return await _product(ctx, found(data, "product", f"product {product_id}"))


@hookimpl
async def get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    return await fetch(ctx, params.product_id)


def _check_variants(product: p.CreateProductParams) -> None:
    spec = product.product
    errors = []
    if len(spec.variants) > MAX_VARIANTS:
        errors.append({"loc": "product.variants", "msg": f"at most {MAX_VARIANTS} variants per product"})
    if len(spec.variants) > 1 and not spec.options:
        errors.append({"loc": "product.options", "msg": "several variants need options to tell them apart"})
    names = {o.name for o in spec.options}
    for i, variant in enumerate(spec.variants):
        if spec.options and set(variant.options) != names:
            errors.append({"loc": f"product.variants.{i}.options", "msg": f"set a value for each of {sorted(names)}"})
    if errors:
        raise ValidationError(errors=errors, platform="shopify")


@hookimpl
async def create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    """productCreate (options), then the variants; a product whose variants fail is removed again."""
    _check_variants(params)
    spec = params.product
    variables = {"product": m.create_input(spec), "media": m.media_input(spec), "variantsFirst": 1}
    created = payload(await execute(ctx, "ProductCreate", variables), "productCreate", prefix="product")["product"]
    if spec.variants:
        try:
            await create_variants(ctx, created, spec.variants, bool(spec.options))
        except ValidationError:
            await execute(ctx, "ProductDelete", {"id": created["id"]})
            raise
    return await fetch(ctx, created["id"])


async def create_variants(ctx: StoreContext, created: dict[str, Any], variants: list[Variant], options: bool) -> None:
    if options:  # replace the standalone variant Shopify made from the first option values
        stocked = any(v.inventory_quantity is not None for v in variants)
        location = await shop.location(ctx) if stocked else None
        inputs = [m.variant_input(v, location_id=location) for v in variants]
        document, strategy = "ProductVariantsBulkCreate", {"strategy": "REMOVE_STANDALONE_VARIANT"}
    else:  # no options: the one variant is the default variant Shopify already created
        single = variants[0].model_copy(update={"id": created["variants"]["nodes"][0]["id"]})
        inputs = [m.variant_input(single, with_id=True)]
        document, strategy = "ProductVariantsBulkUpdate", {}
    data = await execute(ctx, document, {"productId": created["id"], "variants": inputs, **strategy})
    payload(data, document[0].lower() + document[1:], prefix="product.variants")  # the field it is named for


@hookimpl
async def update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    product_id = gid("Product", params.product_id)
    current = await fetch(ctx, product_id) if params.changes.price is not None else None
    variants = m.variant_updates(current, params)
    fields = m.update_input(product_id, params.changes)
    if fields is not None:
        data = await execute(ctx, "ProductUpdate", {"product": fields, "variantsFirst": 1})
        payload(data, "productUpdate", prefix="changes")
    if variants:
        data = await execute(ctx, "ProductVariantsBulkUpdate", {"productId": product_id, "variants": variants})
        payload(data, "productVariantsBulkUpdate", prefix="changes.variants")
    return await fetch(ctx, product_id)


@hookimpl
async def delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    """Archive (status ARCHIVED, reversible) unless `permanent`, which deletes for good."""
    product_id = gid("Product", params.product_id)
    if params.permanent:
        result = payload(await execute(ctx, "ProductDelete", {"id": product_id}), "productDelete")
        if not ctx.rerun:  # else a missing product is an earlier run's delete gone through
            found(result, "deletedProductId", f"product {params.product_id}")
    else:
        data = await execute(
            ctx, "ProductUpdate", {"product": {"id": product_id, "status": "ARCHIVED"}, "variantsFirst": 1}
        )
        found(payload(data, "productUpdate"), "product", f"product {params.product_id}")
    return DeleteResult(product_id=product_id, permanent=params.permanent)
