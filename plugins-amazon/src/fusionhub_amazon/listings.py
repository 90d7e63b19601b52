"""Products are listings items, one per seller SKU (Listings Items API 2021-08-01).

list_products pages searchListingsItems (pageSize ≤ 20, pageToken in an opaque cursor);
create_product is putListingsItem and update_product patchListingsItem: Amazon answers at once
with ACCEPTED (processed asynchronously), INVALID (with issues: a ValidationError here) or, in
`mode=VALIDATION_PREVIEW`, VALID. delete_product deletes with deleteListingsItem when permanent,
else sets the MFN quantity to 0 (the listing stays, not buyable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fusionhub.plugin import (
    DeleteResult,
    Page,
    Product,
    StoreContext,
    ValidationError,
    decode_cursor,
    encode_cursor,
    hookimpl,
    stream,
)
from fusionhub.plugin import (
    params as p,
)
from fusionhub_amazon import attributes, mapping
from fusionhub_amazon.client import SLUG, call, invalid, marketplace_id, marketplace_ids, seller_id

PAGE_SIZE = 20  # searchListingsItems' maximum
INCLUDED = ["summaries", "attributes", "offers", "fulfillmentAvailability"]
PREVIEW = "VALIDATION_PREVIEW"


def _page_position(cursor: str | None, limit: int) -> dict[str, Any]:
    at = decode_cursor(cursor, platform=SLUG)
    size = at.get("size", min(limit, PAGE_SIZE))
    if (at and not isinstance(at.get("token"), str)) or not isinstance(size, int) or not 1 <= size <= PAGE_SIZE:
        raise invalid("params.cursor", "not a cursor returned by this plugin")
    return {"token": at.get("token"), "size": size}


async def search_page(
    ctx: StoreContext, token: str | None, size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of searchListingsItems: its items and the next page's token."""
    body = await call(
        ctx,
        "searchListingsItems",
        sellerId=seller_id(ctx),
        params={
            "marketplaceIds": marketplace_ids(ctx)[:1],
            "includedData": INCLUDED,
            "pageSize": size,
            "pageToken": token,
            "sortBy": "sku",
            "sortOrder": "ASC",
        },
    )
    return list(body.get("items") or []), (body.get("pagination") or {}).get("nextToken")


def every_item(ctx: StoreContext) -> AsyncIterator[dict[str, Any]]:
    """Every listings item of the store, one page in memory (core's paging)."""
    return stream(lambda token: search_page(ctx, token))


@hookimpl
async def list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]:
    at = _page_position(params.cursor, params.limit)
    items, token = await search_page(ctx, at["token"], at["size"])
    following = encode_cursor({"token": token, "size": at["size"]}) if token else None
    return Page[Product](items=[mapping.product(item) for item in items], next_cursor=following)


async def get_item(ctx: StoreContext, sku: str, included: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = await call(
        ctx,
        "getListingsItem",
        sellerId=seller_id(ctx),
        sku=sku,
        params={"marketplaceIds": marketplace_ids(ctx)[:1], "includedData": included or INCLUDED},
    )
    return body


@hookimpl
async def get_product(ctx: StoreContext, params: p.GetProductParams) -> Product:
    return mapping.product(await get_item(ctx, params.product_id))


def _accepted(submission: dict[str, Any], where: str) -> dict[str, Any]:
    """The submission when Amazon took it; INVALID: a ValidationError listing its issues."""
    if submission.get("status") == "INVALID":
        issues = (
            [i for i in submission.get("issues") or [] if i.get("severity") == "ERROR"]
            or submission.get("issues")
            or []
        )
        raise ValidationError(
            errors=[
                {
                    "loc": f"{where}.{','.join(i.get('attributeNames') or []) or 'attributes'}",
                    "msg": f"{i.get('code')}: {i.get('message')}",
                }
                for i in issues
            ]
            or [{"loc": where, "msg": "Amazon refused the listing"}],
            platform=SLUG,
        )
    return submission


def _mode(fields: dict[str, Any]) -> str | None:
    mode = fields.get("mode")
    if mode not in (None, PREVIEW):
        raise invalid("platform_fields.mode", f"only {PREVIEW} is known, got {mode!r}")
    return mode


@hookimpl
async def create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product:
    market = marketplace_id(ctx)
    sku, body = attributes.put_body(params.product, market)
    mode = _mode(params.product.platform_fields)
    submission = _accepted(
        await call(
            ctx,
            "putListingsItem",
            sellerId=seller_id(ctx),
            sku=sku,
            params={"marketplaceIds": [market], "mode": mode, "includedData": ["issues"]},
            json=body,
        ),
        "product",
    )
    # What Amazon accepted, as submitted: the listing appears once processed (minutes).
    item = {
        "sku": sku,
        "summaries": [{"productType": body["productType"], "itemName": params.product.title, "status": []}],
        "attributes": body["attributes"],
        "fulfillmentAvailability": [
            {"fulfillmentChannelCode": a["fulfillment_channel_code"], "quantity": a["quantity"]}
            for a in body["attributes"].get("fulfillment_availability", [])
        ],
    }
    created = mapping.product(item)
    variant = created.variants[0].model_copy(update={"price": params.product.variants[0].price})
    ids = {**created.platform_ids, "submission_id": str(submission.get("submissionId"))}
    ids["submission_status"] = str(submission.get("status"))
    raw = {"submission": submission, "request": body}
    return created.model_copy(update={"variants": [variant], "platform_ids": ids, "raw": raw})


async def patch(
    ctx: StoreContext, sku: str, product_type: str, patches: list[dict[str, Any]], mode: str | None = None
) -> dict[str, Any]:
    return _accepted(
        await call(
            ctx,
            "patchListingsItem",
            sellerId=seller_id(ctx),
            sku=sku,
            params={"marketplaceIds": [marketplace_id(ctx)], "mode": mode, "includedData": ["issues"]},
            json={"productType": product_type, "patches": patches},
        ),
        "changes",
    )


@hookimpl
async def update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product:
    changes = params.changes
    fields = dict(changes.platform_fields)
    patches = attributes.patches(changes, marketplace_id(ctx))
    kind = fields.get("productType") or changes.product_type
    if not kind:
        # Offer-only changes go under the generic type; others need the listing's own type.
        if attributes.offer_only(patches):
            kind = attributes.OFFER_PRODUCT_TYPE
        else:
            summary = (await get_item(ctx, params.product_id, ["summaries"])).get("summaries") or [{}]
            kind = summary[0].get("productType") or attributes.OFFER_PRODUCT_TYPE
    await patch(ctx, params.product_id, str(kind), patches, _mode(fields))
    return mapping.product(await get_item(ctx, params.product_id))


@hookimpl
async def delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult:
    sku = params.product_id
    if params.permanent:
        _accepted(
            await call(
                ctx,
                "deleteListingsItem",
                sellerId=seller_id(ctx),
                sku=sku,
                params={"marketplaceIds": [marketplace_id(ctx)]},
            ),
            "product_id",
        )
    else:
        await patch(ctx, sku, attributes.OFFER_PRODUCT_TYPE, [attributes.stock_patch(0)])
    return DeleteResult(product_id=sku, permanent=params.permanent)
