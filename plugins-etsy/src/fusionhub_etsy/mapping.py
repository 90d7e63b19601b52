"""Etsy payloads to core models: listings → Product, inventory → Variant/InventoryLevel, receipts → Order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fusionhub.plugin import (
    Address,
    InventoryLevel,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    ProductStatus,
    Tracking,
    Variant,
)

SLUG = "etsy"
Json = dict[str, Any]

LISTING_STATUS = {
    "active": ProductStatus.ACTIVE,
    "inactive": ProductStatus.INACTIVE,
    "draft": ProductStatus.DRAFT,
    "sold_out": ProductStatus.INACTIVE,
    "expired": ProductStatus.ARCHIVED,
}
# Etsy receipt `status` values that decide an order's state on their own.
RECEIPT_STATUS = {
    "canceled": OrderStatus.CANCELLED,
    "fully refunded": OrderStatus.REFUNDED,
    "partially refunded": OrderStatus.PARTIALLY_REFUNDED,
}


# Etsy's receipt fields for an address (name, line1, line2, city, region, postal code, country).
ADDRESS_KEYS = ("name", "first_line", "second_line", "city", "state", "zip", "country_iso")


def money(value: Json | None) -> Money | None:
    """Etsy's Money is an integer `amount` over a `divisor` (1250 / 100 USD = 12.50 USD)."""
    if not value or value.get("amount") is None:
        return None
    divisor = int(value.get("divisor") or 1)
    return Money(amount=Decimal(int(value["amount"])) / Decimal(divisor), currency=str(value["currency_code"]))


def timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def variants_of(inventory: Json) -> list[Variant]:
    variants = []
    for item in inventory.get("products", []):
        if item.get("is_deleted"):
            continue
        offering: Json = next((o for o in item.get("offerings", []) if not o.get("is_deleted")), {})
        options = {
            str(pv.get("property_name") or pv.get("property_id")): ", ".join(pv.get("values", []))
            for pv in item.get("property_values", [])
        }
        variants.append(
            Variant(
                id=str(item["product_id"]),
                sku=item.get("sku") or None,
                price=money(offering.get("price")),
                options=options,
                inventory_quantity=offering.get("quantity"),
                available=offering.get("is_enabled"),
            )
        )
    return variants


def levels_of(listing_id: str, inventory: Json) -> list[InventoryLevel]:
    return [
        InventoryLevel(product_id=listing_id, variant_id=v.id, sku=v.sku, available=v.inventory_quantity)
        for v in variants_of(inventory)
    ]


def product(listing: Json) -> Product:
    listing_id = str(listing["listing_id"])
    inventory = listing.get("inventory")
    if inventory:
        variants = variants_of(inventory)
    else:
        variants = [Variant(price=money(listing.get("price")), inventory_quantity=listing.get("quantity"))]
    images = [
        ProductImage(
            url=image["url_fullxfull"],
            alt=image.get("alt_text") or None,
            position=image.get("rank"),
            id=str(image["listing_image_id"]),
        )
        for image in listing.get("images") or []
        if image.get("url_fullxfull")
    ]
    platform_ids = {"shop_id": str(listing.get("shop_id", "")), "state": str(listing.get("state", ""))}
    return Product(
        id=listing_id,
        platform=SLUG,
        title=listing.get("title") or "",
        description=listing.get("description"),
        status=LISTING_STATUS.get(str(listing.get("state")), ProductStatus.INACTIVE),
        tags=list(listing.get("tags") or []),
        handle=listing.get("url"),
        variants=variants,
        images=images,
        platform_ids=platform_ids,
        created_at=timestamp(listing.get("created_timestamp")),
        updated_at=timestamp(listing.get("last_modified_timestamp")),
        raw=listing,
    )


def order_status(receipt: Json) -> OrderStatus:
    fixed = RECEIPT_STATUS.get(str(receipt.get("status", "")).lower())
    if fixed is not None:
        return fixed
    if receipt.get("is_shipped"):
        return OrderStatus.SHIPPED
    if receipt.get("is_paid"):
        return OrderStatus.PAID
    return OrderStatus.PENDING


def order(receipt: Json) -> Order:
    lines = [
        OrderLine(
            id=str(t["transaction_id"]),
            product_id=str(t["listing_id"]) if t.get("listing_id") else None,
            variant_id=str(t["product_id"]) if t.get("product_id") else None,
            sku=t.get("sku") or None,
            title=t.get("title"),
            quantity=int(t.get("quantity") or 0),
            unit_price=money(t.get("price")),
        )
        for t in receipt.get("transactions") or []
    ]
    tracking = [
        Tracking(number=s["tracking_code"], carrier=s.get("carrier_name"))
        for s in receipt.get("shipments") or []
        if s.get("tracking_code")
    ]
    address = Address.read(receipt, ADDRESS_KEYS)
    return Order(
        id=str(receipt["receipt_id"]),
        platform=SLUG,
        name=f"#{receipt['receipt_id']}",
        status=order_status(receipt),
        total=money(receipt.get("grandtotal")),
        lines=lines,
        customer_email=receipt.get("buyer_email"),
        shipping_address=address,
        tracking=tracking,
        created_at=timestamp(receipt.get("created_timestamp") or receipt.get("create_timestamp")),
        updated_at=timestamp(receipt.get("updated_timestamp") or receipt.get("update_timestamp")),
        raw=receipt,
    )
