"""Products: list and get (every account), create and update (the newer endpoints), archive or delete.

Publishing is one switch on Gumroad: PUT /products/:id/enable and /disable exist on every
account, so a status change never needs the newer PUT /products/:id. Creating and editing fields
do; an account whose API answers 404 there gets a clear "not available" error (errors.py).
"""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import (
    DeleteResult,
    NotFound,
    Page,
    Product,
    ProductChanges,
    ProductInput,
    ProductStatus,
    StoreContext,
    ValidationError,
    hookimpl,
)
from fusionhub.plugin import params as p
from fusionhub_gumroad.client import Json, call, record
from fusionhub_gumroad.config import GumroadConfig
from fusionhub_gumroad.endpoints import SLUG, path
from fusionhub_gumroad.errors import NEW_ENDPOINT_ERRORS
from fusionhub_gumroad.mapping import cents, product
from fusionhub_gumroad.pages import PageKeyCursor

# Product fields a caller may pass through `platform_fields` (Gumroad's own names).
PLATFORM_FIELDS = frozenset(
    {"native_type", "custom_permalink", "custom_summary", "custom_receipt", "max_purchase_count", "taxonomy_id"}
)
PUBLISHED = {"active": True, "inactive": False, "draft": False, "archived": False}


def _refuse(loc: str, msg: str) -> ValidationError:
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)


@hookimpl
async def list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    if params.query is not None or params.updated_since is not None:
        field = "params.query" if params.query is not None else "params.updated_since"
        raise _refuse(field, "Gumroad's GET /products has no such filter")
    if params.status is not None and params.status not in PUBLISHED:
        raise _refuse("params.status", f"one of {', '.join(PUBLISHED)}")
    at = PageKeyCursor.decode(params.cursor)
    body = await call(ctx, "GET", "products", operation="GET /products", params=at.query())
    records, cursor = at.take(body.get("products") or [], params.limit, body.get("next_page_key"))
    items = [product(r) for r in records]
    if params.status is not None:  # Gumroad cannot filter: the page is filtered here (it may come back short)
        items = [i for i in items if (i.status is ProductStatus.ACTIVE) == PUBLISHED[params.status]]
    return Page[Product](items=items, next_cursor=cursor)


@hookimpl
async def get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    body = await call(ctx, "GET", path("products", params.product_id), operation="GET /products/:id")
    return product(record(body, "product", "GET /products/:id"))


def _platform_fields(given: dict[str, Any], loc: str) -> dict[str, Any]:
    unknown = sorted(set(given) - PLATFORM_FIELDS)
    if unknown:
        raise _refuse(
            f"{loc}.{unknown[0]}", f"not a Gumroad product field this plugin sends: {sorted(PLATFORM_FIELDS)}"
        )
    return dict(given)


def create_form(item: ProductInput) -> Json:
    """POST /products' fields: name and price (in cents) are required; tags as `tags[]`."""
    if item.images:
        raise _refuse("params.product.images", "Gumroad's API takes no image URLs: add covers on gumroad.com")
    if len(item.variants) > 1 or item.options:
        raise _refuse(
            "params.product.variants", "Gumroad creates a product with one price: add versions on gumroad.com"
        )
    price = item.variants[0].price if item.variants else None
    if price is None:
        raise _refuse("params.product.variants.0.price", "Gumroad needs a price (0 for a free product)")
    form: Json = {"name": item.title, "price": cents(price, "params.product.variants.0.price")}
    form["price_currency_type"] = price.currency.lower()
    if item.description is not None:
        form["description"] = item.description
    if item.product_type is not None:
        form["native_type"] = item.product_type
    if item.tags:
        form["tags[]"] = list(item.tags)
    return form | _platform_fields(item.platform_fields, "params.product.platform_fields")


async def _post_create(ctx: StoreContext, form: Json) -> Json:
    # The one place a product is created. Gumroad takes no idempotency key: a re-run after a lost
    # answer would create a second draft, so reconciling (finding the earlier product by name
    # among the newest) belongs in front of this call.
    body = await call(ctx, "POST", "products", operation="POST /products", errors=NEW_ENDPOINT_ERRORS, data=form)
    return record(body, "product", "POST /products")


async def _publish(ctx: StoreContext, product_id: str, published: bool) -> Json:
    action = "enable" if published else "disable"
    operation = f"PUT /products/:id/{action}"
    body = await call(ctx, "PUT", path("products", product_id, action), operation=operation)
    return record(body, "product", operation)


@hookimpl
async def create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    created = await _post_create(ctx, create_form(params.product))
    if PUBLISHED[params.product.status.value]:  # Gumroad creates drafts: publish when asked to
        created = await _publish(ctx, str(created["id"]), True)
    return product(created)


def update_form(changes: ProductChanges) -> Json:
    """PUT /products/:id's fields for what the caller set; status is not among them (enable/disable)."""
    for field in ("vendor", "variants"):
        if getattr(changes, field) is not None:
            raise _refuse(f"params.changes.{field}", "Gumroad's product API cannot change this: edit it on gumroad.com")
    form: Json = {}
    if changes.title is not None:
        form["name"] = changes.title
    if "description" in changes.model_fields_set:
        form["description"] = changes.description or ""
    if changes.price is not None:
        form["price"] = cents(changes.price, "params.changes.price")
        form["price_currency_type"] = changes.price.currency.lower()
    if changes.product_type is not None:
        form["native_type"] = changes.product_type
    if changes.tags is not None:
        form["tags[]"] = list(changes.tags)
    return form | _platform_fields(changes.platform_fields, "params.changes.platform_fields")


@hookimpl
async def update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    form = update_form(params.changes)
    latest: Json | None = None
    if form:
        body = await call(
            ctx,
            "PUT",
            path("products", params.product_id),
            operation="PUT /products/:id",
            errors=NEW_ENDPOINT_ERRORS,
            data=form,
        )
        latest = record(body, "product", "PUT /products/:id")
    if params.changes.status is not None:
        latest = await _publish(ctx, params.product_id, PUBLISHED[params.changes.status.value])
    if latest is None:  # nothing to change: the product as it is
        return await get_product(ctx, p.GetProductParams(product_id=params.product_id))
    return product(latest)


@hookimpl
async def delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    if not params.permanent:  # the specification's delete: archive (unpublish), reversible
        await _publish(ctx, params.product_id, False)
        return DeleteResult(product_id=params.product_id, permanent=False)
    if not GumroadConfig.of(ctx.store.config).allow_permanent_delete:
        raise _refuse(
            "params.permanent",
            "permanent deletion is off for this store: set its allow_permanent_delete to true, or archive instead",
        )
    try:
        await call(ctx, "DELETE", path("products", params.product_id), operation="DELETE /products/:id")
    except NotFound:
        if not ctx.rerun:  # else an earlier run's delete went through
            raise
    return DeleteResult(product_id=params.product_id, permanent=True)
