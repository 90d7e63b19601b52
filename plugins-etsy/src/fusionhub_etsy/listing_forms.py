"""Core product input → Etsy listing form fields, validated before anything is sent.

Every rejection names the input field (`product.platform_fields.taxonomy_id`), so a caller can
fix the exact value; nothing reaches Etsy until the whole form is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fusionhub.plugin import ProductChanges, ProductInput, ProductStatus, ValidationError

WHO_MADE = ("i_did", "someone_else", "collective")
WHEN_MADE = (
    "made_to_order", "2020_2025", "2010_2019", "2006_2009", "before_2006", "2000_2005", "1990s", "1980s",
    "1970s", "1960s", "1950s", "1940s", "1930s", "1920s", "1910s", "1900s", "1800s", "1700s", "before_1700",
)  # fmt: skip
MAX_TAGS = 13
MAX_IMAGES = 20  # Etsy's real limit (the plugin specification says 10)

# Optional createDraftListing / updateListing fields a caller may pass through platform_fields.
CREATE_FIELDS = frozenset(
    (
        "shipping_profile_id",
        "return_policy_id",
        "materials",
        "shop_section_id",
        "processing_min",
        "processing_max",
        "readiness_state_id",
        "styles",
        "item_weight",
        "item_length",
        "item_width",
        "item_height",
        "item_weight_unit",
        "item_dimensions_unit",
        "is_personalizable",
        "personalization_is_required",
        "personalization_char_count_max",
        "personalization_instructions",
        "production_partner_ids",
        "image_ids",
        "is_supply",
        "is_customizable",
        "should_auto_renew",
        "is_taxable",
        "type",
    )
)
UPDATE_FIELDS = frozenset(
    (
        "image_ids",
        "materials",
        "should_auto_renew",
        "shipping_profile_id",
        "return_policy_id",
        "shop_section_id",
        "item_weight",
        "item_length",
        "item_width",
        "item_height",
        "item_weight_unit",
        "item_dimensions_unit",
        "is_taxable",
        "taxonomy_id",
        "who_made",
        "when_made",
        "featured_rank",
        "is_personalizable",
        "personalization_is_required",
        "personalization_char_count_max",
        "personalization_instructions",
        "is_supply",
        "production_partner_ids",
        "type",
    )
)
# Required by createDraftListing besides title/description/price/quantity; taken from the
# product's platform_fields, else from the store's `listing_defaults`.
REQUIRED_EXTRA = ("who_made", "when_made", "taxonomy_id")


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, loc: str, msg: str) -> None:
        self.items.append({"loc": loc, "msg": msg})

    def raise_any(self) -> None:
        if self.items:
            raise ValidationError(errors=self.items, platform="etsy")


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    amount = getattr(value, "amount", value)
    try:
        return Decimal(str(amount))
    except ArithmeticError:
        return None


def _check_extra(errors: _Errors, loc: str, key: str, value: Any) -> None:
    if key == "who_made" and value not in WHO_MADE:
        errors.add(loc, f"must be one of {', '.join(WHO_MADE)}")
    elif key == "when_made" and value not in WHEN_MADE:
        errors.add(loc, f"must be one of {', '.join(WHEN_MADE)}")
    elif key == "taxonomy_id" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        errors.add(loc, "must be a positive integer (an Etsy seller taxonomy id)")


def create_fields(product: ProductInput, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """createDraftListing's fields for `product`, or ValidationError listing every problem."""
    errors = _Errors()
    extra = dict(product.platform_fields)
    fields: dict[str, Any] = {"title": product.title}

    description = product.description or extra.pop("description", None)
    if not description:
        errors.add("params.product.description", "Etsy requires a description")
    fields["description"] = description

    price = _price(extra.pop("price", None))
    price_loc = "params.product.platform_fields.price"
    if price is None and product.variants:
        price, price_loc = _price(product.variants[0].price), "params.product.variants.0.price"
    if price is None:
        errors.add("params.product.variants.0.price", "Etsy requires a price (set it on the first variant)")
    elif price <= 0:
        errors.add(price_loc, "must be greater than 0")
    fields["price"] = price

    quantity = extra.pop("quantity", None)
    if quantity is None:
        counts = [v.inventory_quantity for v in product.variants if v.inventory_quantity is not None]
        quantity = sum(counts) if counts else None
    if not isinstance(quantity, int) or quantity < 1:
        errors.add("params.product.variants.0.inventory_quantity", "Etsy requires a quantity of at least 1")
    fields["quantity"] = quantity

    for key in REQUIRED_EXTRA:
        value = extra.pop(key, None)
        if value is None:
            value = (defaults or {}).get(key)
        loc = f"params.product.platform_fields.{key}"
        if value is None:
            errors.add(loc, "required by Etsy (set it here or in the store's listing_defaults)")
        else:
            _check_extra(errors, loc, key, value)
        fields[key] = value

    if len(product.tags) > MAX_TAGS:
        errors.add("params.product.tags", f"Etsy allows at most {MAX_TAGS} tags")
    if product.tags:
        fields["tags"] = list(product.tags)
    if len(product.images) > MAX_IMAGES:
        errors.add("params.product.images", f"an Etsy listing holds at most {MAX_IMAGES} images")
    if product.status not in (ProductStatus.DRAFT, ProductStatus.ACTIVE):
        errors.add("params.product.status", "a new Etsy listing is a draft, optionally activated: use draft or active")
    for key, value in extra.items():
        if key in CREATE_FIELDS:
            fields[key] = value
        else:
            errors.add(f"params.product.platform_fields.{key}", "not a createDraftListing field")
    for key in ("vendor", "product_type"):
        if getattr(product, key):
            errors.add(f"params.product.{key}", "Etsy listings have no such field")
    errors.raise_any()
    return fields


def update_fields(changes: ProductChanges) -> dict[str, Any]:
    """updateListing's fields for `changes` (price and variants go through the inventory)."""
    errors = _Errors()
    fields: dict[str, Any] = {}
    set_fields = changes.model_fields_set
    if "title" in set_fields and changes.title is not None:
        fields["title"] = changes.title
    if "description" in set_fields and changes.description is not None:
        fields["description"] = changes.description
    if changes.tags is not None:
        if len(changes.tags) > MAX_TAGS:
            errors.add("params.changes.tags", f"Etsy allows at most {MAX_TAGS} tags")
        fields["tags"] = list(changes.tags)
    if changes.status is not None:
        if changes.status is ProductStatus.ACTIVE:
            fields["state"] = "active"
        elif changes.status in (ProductStatus.INACTIVE, ProductStatus.ARCHIVED):
            fields["state"] = "inactive"
        else:
            errors.add("params.changes.status", "updateListing sets active or inactive only")
    for key in ("vendor", "product_type"):
        if getattr(changes, key) is not None:
            errors.add(f"params.changes.{key}", "Etsy listings have no such field")
    for key, value in changes.platform_fields.items():
        if key in UPDATE_FIELDS:
            if key in REQUIRED_EXTRA:
                _check_extra(errors, f"params.changes.platform_fields.{key}", key, value)
            fields[key] = value
        else:
            errors.add(f"params.changes.platform_fields.{key}", "not an updateListing field")
    errors.raise_any()
    return fields
