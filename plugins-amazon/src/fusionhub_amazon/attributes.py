"""fusionhub's product fields as Amazon listing attributes and JSON patches (Listings Items 2021-08-01).

Attribute shapes are the product type definitions' (the same for every product type): a list of
values, each tagged with the marketplace, text values with their language. MFN stock is
`fulfillment_availability` on channel DEFAULT; price is `purchasable_offer.our_price`.
Offer-only attributes (price, stock) can be patched under the generic product type PRODUCT.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fusionhub.plugin import Money, ProductChanges, ProductInput, ProductStatus
from fusionhub_amazon.client import invalid

MFN_CHANNEL = "DEFAULT"
OFFER_PRODUCT_TYPE = "PRODUCT"  # the product type definitions' type for offer-only attributes
# A marketplace's main language (the language_tag of text attributes); others: platform_fields.language_tag.
LANGUAGES = {
    "ATVPDKIKX0DER": "en_US",
    "A2EUQ1WTGCTBG2": "en_CA",
    "A1AM78C64UM0Y8": "es_MX",
    "A2Q3Y263D00KWC": "pt_BR",
    "A1F83G8C2ARO7P": "en_GB",
    "A1PA6795UKMFR9": "de_DE",
    "A13V1IB3VIYZZH": "fr_FR",
    "APJ6JRA9NG5V4": "it_IT",
    "A1RKKUPIHCS9HS": "es_ES",
    "A1805IZSGTT6HS": "nl_NL",
    "A2NODRKZP88ZB9": "sv_SE",
    "A1C3SOZRARQ6R3": "pl_PL",
    "A33AVAJ2PDY3EV": "tr_TR",
    "A1VC38T7YXB528": "ja_JP",
    "A39IBJ37TRP1C6": "en_AU",
    "A19VAU5U5O7RUS": "en_SG",
    "A21TJRUUN4KGV": "en_IN",
}


def language(marketplace: str, fields: dict[str, Any]) -> str:
    tag = fields.get("language_tag") or LANGUAGES.get(marketplace)
    if not isinstance(tag, str) or not tag:
        raise invalid("platform_fields.language_tag", f"set the language of marketplace {marketplace}")
    return tag


def text(value: str, marketplace: str, tag: str) -> list[dict[str, Any]]:
    return [{"value": value, "language_tag": tag, "marketplace_id": marketplace}]


def price(money: Money, marketplace: str) -> list[dict[str, Any]]:
    amount = float(Decimal(money.amount))  # the attribute's schema types it as a JSON number
    return [
        {
            "marketplace_id": marketplace,
            "currency": money.currency,
            "our_price": [{"schedule": [{"value_with_tax": amount}]}],
        }
    ]


def stock(quantity: int) -> list[dict[str, Any]]:
    return [{"fulfillment_channel_code": MFN_CHANNEL, "quantity": quantity}]


def stock_patch(quantity: int) -> dict[str, Any]:
    """Merge (not replace): restock date and handling time of the offer stay as they are."""
    return {"op": "merge", "path": "/attributes/fulfillment_availability", "value": stock(quantity)}


def offer_only(patches: list[dict[str, Any]]) -> bool:
    """Whether every patch touches only offer attributes (price, stock): the generic type PRODUCT takes them."""
    offer = ("/attributes/purchasable_offer", "/attributes/fulfillment_availability")
    return all(patch.get("path") in offer for patch in patches)


def product_type(fields: dict[str, Any], given: str | None, where: str) -> str:
    value = fields.get("productType") or given
    if not isinstance(value, str) or not value:
        raise invalid(where, "set the Amazon product type (e.g. LUGGAGE, SHIRT)")
    return value


def put_body(product: ProductInput, marketplace: str) -> tuple[str, dict[str, Any]]:
    """The SKU and the putListingsItem body {productType, requirements, attributes} of a new product."""
    fields = dict(product.platform_fields)
    variants = product.variants
    if len(variants) != 1 or not variants[0].sku:
        raise invalid("product.variants", "an Amazon listing is one SKU: give exactly one variant with its sku")
    variant = variants[0]
    kind = product_type(fields, product.product_type, "product.product_type")
    tag = language(marketplace, fields)
    attributes: dict[str, Any] = {"item_name": text(product.title, marketplace, tag)}
    if product.description:
        attributes["product_description"] = text(product.description, marketplace, tag)
    if product.vendor:
        attributes["brand"] = text(product.vendor, marketplace, tag)
    if variant.price is not None:
        attributes["purchasable_offer"] = price(variant.price, marketplace)
    if variant.inventory_quantity is not None:
        attributes["fulfillment_availability"] = stock(variant.inventory_quantity)
    extra = fields.get("attributes") or {}
    if not isinstance(extra, dict):
        raise invalid("product.platform_fields.attributes", "must be an object")
    attributes.update(extra)  # the product type's own attributes, passed through as given
    body: dict[str, Any] = {
        "productType": kind,
        "requirements": fields.get("requirements", "LISTING"),
        "attributes": attributes,
    }
    return str(variant.sku), body


def patches(changes: ProductChanges, marketplace: str) -> list[dict[str, Any]]:
    """JSON patches (RFC 6902 on top-level attributes) for a partial update."""
    fields = dict(changes.platform_fields)
    out: list[dict[str, Any]] = []

    def replace(name: str, value: list[dict[str, Any]]) -> None:
        out.append({"op": "replace", "path": f"/attributes/{name}", "value": value})

    if changes.title is not None or changes.description is not None or changes.vendor is not None:
        tag = language(marketplace, fields)
        for name, value in (
            ("item_name", changes.title),
            ("product_description", changes.description),
            ("brand", changes.vendor),
        ):
            if value is not None:
                replace(name, text(value, marketplace, tag))
    if changes.price is not None:
        replace("purchasable_offer", price(changes.price, marketplace))
    for variant in changes.variants or []:
        if variant.price is not None:
            replace("purchasable_offer", price(variant.price, marketplace))
        if variant.inventory_quantity is not None:
            out.append(stock_patch(variant.inventory_quantity))
    if changes.status is not None and changes.status is not ProductStatus.ACTIVE:
        out.append(stock_patch(0))  # inactive/archived: not buyable (MFN); Amazon has no listing status field
    extra = fields.get("patches") or []
    if not isinstance(extra, list):
        raise invalid("changes.platform_fields.patches", "must be a list of JSON patches")
    out.extend(extra)
    if changes.tags is not None:
        raise invalid("changes.tags", "Amazon listings have no tags")
    if not out:
        raise invalid("changes", "set title, description, vendor, price, variants or platform_fields.patches")
    return out
