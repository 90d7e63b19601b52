"""Products and variants: Shopify nodes → Product, ProductInput/ProductChanges → mutation inputs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fusionhub.plugin import (
    Product,
    ProductChanges,
    ProductInput,
    ProductOption,
    ProductStatus,
    ValidationError,
    Variant,
)
from fusionhub.plugin import params as p
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping.money import amount, money

# A product without options has one pseudo-option "Title" whose only value is "Default Title".
_DEFAULT_OPTION = ("Title", "Default Title")
_STATUS_OUT = {ProductStatus.INACTIVE: "DRAFT"}


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def variant_from(node: dict[str, Any], currency: str) -> Variant:
    options = {o["name"]: o["value"] for o in node.get("selectedOptions") or ()}
    if options == {_DEFAULT_OPTION[0]: _DEFAULT_OPTION[1]}:
        options = {}
    item = node.get("inventoryItem") or {}
    return Variant(
        id=node["id"],
        sku=node.get("sku") or None,
        title=node.get("title"),
        price=money(node.get("price"), currency),
        compare_at_price=money(node.get("compareAtPrice"), currency),
        options=options,
        inventory_quantity=node.get("inventoryQuantity"),
        inventory_item_id=item.get("id"),
        barcode=node.get("barcode") or None,
        available=node.get("availableForSale"),
    )


def product_from(node: dict[str, Any], variants: Iterable[dict[str, Any]], currency: str) -> Product:
    options = [ProductOption(name=o["name"], values=list(o["values"])) for o in node.get("options") or ()]
    if [(o.name, o.values) for o in options] == [(_DEFAULT_OPTION[0], [_DEFAULT_OPTION[1]])]:
        options = []
    return Product(
        id=node["id"],
        platform="shopify",
        title=node["title"],
        description=node.get("descriptionHtml") or None,
        status=ProductStatus(str(node.get("status", "ACTIVE")).lower()),
        vendor=node.get("vendor") or None,
        product_type=node.get("productType") or None,
        handle=node.get("handle"),
        tags=list(node.get("tags") or ()),
        options=options,
        variants=[variant_from(v, currency) for v in variants],
        created_at=_date(node.get("createdAt")),
        updated_at=_date(node.get("updatedAt")),
    )


def status_in(status: ProductStatus) -> str:
    return _STATUS_OUT.get(status, status.value.upper())


def create_input(product: ProductInput) -> dict[str, Any]:
    """ProductCreateInput: product fields and option names/values (variants come next)."""
    out: dict[str, Any] = {"title": product.title, "status": status_in(product.status)}
    if product.description is not None:
        out["descriptionHtml"] = product.description
    if product.vendor is not None:
        out["vendor"] = product.vendor
    if product.product_type is not None:
        out["productType"] = product.product_type
    if product.tags:
        out["tags"] = product.tags
    if product.options:
        out["productOptions"] = [
            {"name": o.name, "values": [{"name": value} for value in o.values]} for o in product.options
        ]
    return {**out, **product.platform_fields}


def media_input(product: ProductInput) -> list[dict[str, Any]] | None:
    media = [{"originalSource": str(i.url), "alt": i.alt, "mediaContentType": "IMAGE"} for i in product.images]
    return media or None


def variant_input(variant: Variant, *, location_id: str | None = None, with_id: bool = False) -> dict[str, Any]:
    """ProductVariantsBulkInput for a create (option values) or an update (id)."""
    out: dict[str, Any] = {}
    if with_id:
        out["id"] = variant.id
    if variant.price is not None:
        out["price"] = amount(variant.price)
    if variant.compare_at_price is not None:
        out["compareAtPrice"] = amount(variant.compare_at_price)
    if variant.barcode is not None:
        out["barcode"] = variant.barcode
    if variant.sku is not None:
        out["inventoryItem"] = {"sku": variant.sku, "tracked": True}
    if variant.options and not with_id:
        out["optionValues"] = [{"optionName": k, "name": v} for k, v in variant.options.items()]
    if variant.inventory_quantity is not None and location_id and not with_id:
        out["inventoryQuantities"] = [{"availableQuantity": variant.inventory_quantity, "locationId": location_id}]
    return out


def update_input(product_id: str, changes: ProductChanges) -> dict[str, Any] | None:
    """ProductUpdateInput with only what changed; None when only variants change."""
    set_fields = changes.changed()
    out: dict[str, Any] = {}
    if "title" in set_fields:
        out["title"] = changes.title
    if "description" in set_fields:
        out["descriptionHtml"] = changes.description or ""
    if "status" in set_fields and changes.status is not None:
        out["status"] = status_in(changes.status)
    if "vendor" in set_fields:
        out["vendor"] = changes.vendor or ""
    if "product_type" in set_fields:
        out["productType"] = changes.product_type or ""
    if "tags" in set_fields:
        out["tags"] = changes.tags or []
    out.update(changes.platform_fields)
    return {"id": product_id, **out} if out else None


def search_query(params: p.ListProductsParams) -> str | None:
    """The list filters in Shopify's product search syntax."""
    terms = [params.query] if params.query else []
    if params.status:
        terms.append(f"status:{params.status.lower()}")
    if params.updated_since:
        terms.append(f"updated_at:>='{params.updated_since.isoformat()}'")
    return " AND ".join(terms) or None


def variant_updates(product: Product | None, params: p.UpdateProductParams) -> list[dict[str, Any]]:
    """ProductVariantsBulkInput for an update: a new price on every variant, then the named variants."""
    changes = params.changes
    updates: dict[str, dict[str, Any]] = {}
    if changes.price is not None and product is not None:
        for variant in product.variants:
            updates[str(variant.id)] = {"id": variant.id, "price": amount(changes.price)}
    errors = []
    for i, variant in enumerate(changes.variants or ()):
        if not variant.id:
            errors.append({"loc": f"changes.variants.{i}.id", "msg": "an update names each variant by id"})
            continue
        vid = gid("ProductVariant", variant.id)
        updates[vid] = {**updates.get(vid, {}), **variant_input(variant.model_copy(update={"id": vid}), with_id=True)}
    if errors:
        raise ValidationError(errors=errors, platform="shopify")
    return list(updates.values())
