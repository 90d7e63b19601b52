"""Products as every platform's listing, item or product maps onto them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, Field

from fusionhub.models.common import MAX_QUANTITY, MAX_TEXT, Model, Money, RawJson

# Platform limits on what a caller sends (results are taken as the platform gives them).
# Platform admin schemas cap titles and tags at 255 characters (the largest platform's 2025-01 schema);
# the same 255 bounds the other short fields and a SKU.
MAX_SHORT = 255
ShortText = Annotated[str, Field(max_length=MAX_SHORT)]


class ProductStatus(StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"
    INACTIVE = "inactive"


class ProductOption(Model):
    name: str = Field(min_length=1, max_length=255)
    values: list[str] = Field(min_length=1)


class ProductImage(Model):
    url: AnyHttpUrl
    alt: str | None = None
    position: int | None = Field(default=None, ge=0)
    id: str | None = None


class Variant(Model):
    id: str | None = Field(default=None, description="platform id; None before creation")
    sku: str | None = None
    title: str | None = None
    price: Money | None = None
    compare_at_price: Money | None = None
    options: dict[str, str] = Field(default_factory=dict, description="option name → value")
    inventory_quantity: int | None = None
    inventory_item_id: str | None = None
    barcode: str | None = None
    available: bool | None = None


class Product(Model):
    id: str
    platform: str
    title: str
    description: str | None = None
    status: ProductStatus = ProductStatus.ACTIVE
    vendor: str | None = None
    product_type: str | None = None
    handle: str | None = None
    tags: list[str] = Field(default_factory=list)
    options: list[ProductOption] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    images: list[ProductImage] = Field(default_factory=list)
    platform_ids: dict[str, str] = Field(default_factory=dict, description="other ids the platform uses")
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: RawJson | None = Field(default=None, repr=False, description="the platform's payload")


def _sendable(variant: Variant) -> Variant:
    """A variant as a caller sends it: stock never negative (platforms' minimum is 0), short fields short."""
    problems = [
        f"{name} is longer than {MAX_SHORT} characters"
        for name in ("sku", "title", "barcode")
        if len(getattr(variant, name) or "") > MAX_SHORT
    ]
    problems += [
        f"options.{k} is longer than {MAX_SHORT} characters" for k, v in variant.options.items() if len(v) > MAX_SHORT
    ]
    quantity = variant.inventory_quantity
    if quantity is not None and not 0 <= quantity <= MAX_QUANTITY:
        problems.append(f"inventory_quantity must be between 0 and {MAX_QUANTITY}, not {quantity}")
    if problems:
        raise ValueError("; ".join(problems))
    return variant


# The Variant shape (plugins read it as one), with the limits of what may be sent.
VariantInput = Annotated[Variant, AfterValidator(_sendable)]


class ProductInput(Model):
    """What a caller sends to create a product."""

    title: str = Field(min_length=1, max_length=MAX_SHORT)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    status: ProductStatus = ProductStatus.DRAFT
    vendor: str | None = Field(default=None, max_length=MAX_SHORT)
    product_type: str | None = Field(default=None, max_length=MAX_SHORT)
    tags: list[ShortText] = Field(default_factory=list)
    options: list[ProductOption] = Field(default_factory=list)
    variants: list[VariantInput] = Field(default_factory=list)
    images: list[ProductImage] = Field(default_factory=list)
    platform_fields: dict[str, Any] = Field(
        default_factory=dict, description="platform-specific fields, passed through (e.g. a category or taxonomy id)"
    )


class ProductChanges(Model):
    """A partial update: only the fields that are set are sent."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    status: ProductStatus | None = None
    vendor: str | None = Field(default=None, max_length=MAX_SHORT)
    product_type: str | None = Field(default=None, max_length=MAX_SHORT)
    tags: list[ShortText] | None = None
    price: Money | None = Field(default=None, description="new price of every variant")
    variants: list[VariantInput] | None = None
    platform_fields: dict[str, Any] = Field(default_factory=dict)

    def changed(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_defaults=False)
