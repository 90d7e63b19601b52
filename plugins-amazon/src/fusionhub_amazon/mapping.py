"""Amazon's JSON → fusionhub's models: listings items (2021-08-01) and orders (2026-01-01)."""

from __future__ import annotations

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
from fusionhub_amazon.attributes import MFN_CHANNEL

SLUG = "amazon-sc"
# Orders 2026-01-01 fulfillmentStatus → ours (an UNSHIPPED order is paid and waiting to ship).
ORDER_STATUS = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.PAID,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_FULFILLED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.PENDING,
}
# name, line1, line2, city, region, postal_code, country_code
ADDRESS_KEYS = ("name", "addressLine1", "addressLine2", "city", "stateOrRegion", "postalCode", "countryCode")


def _first_value(attributes: dict[str, Any], name: str) -> Any:
    values = attributes.get(name)
    return values[0].get("value") if isinstance(values, list) and values and isinstance(values[0], dict) else None


def _money(value: Any) -> Money | None:
    if not isinstance(value, dict) or value.get("amount") is None:
        return None
    return Money(amount=value["amount"], currency=value["currencyCode"])


def mfn_quantity(item: dict[str, Any]) -> int | None:
    for entry in item.get("fulfillmentAvailability") or []:
        if entry.get("fulfillmentChannelCode") == MFN_CHANNEL:
            quantity = entry.get("quantity")
            return int(quantity) if quantity is not None else None
    return None


def _status(summary: dict[str, Any]) -> ProductStatus:
    statuses = summary.get("status") or []
    if "BUYABLE" in statuses:
        return ProductStatus.ACTIVE
    return ProductStatus.INACTIVE if "DISCOVERABLE" in statuses else ProductStatus.DRAFT


def product(item: dict[str, Any]) -> Product:
    """A listings item (summaries, attributes, offers, fulfillmentAvailability) as one product of one SKU."""
    sku = str(item["sku"])
    summary = (item.get("summaries") or [{}])[0]
    attributes = item.get("attributes") or {}
    offer: dict[str, Any] = next(iter(item.get("offers") or []), {})
    title = summary.get("itemName") or _first_value(attributes, "item_name") or sku
    image = (summary.get("mainImage") or {}).get("link")
    ids = {k: str(v) for k, v in (("asin", summary.get("asin")), ("fn_sku", summary.get("fnSku"))) if v}
    return Product(
        id=sku,
        platform=SLUG,
        title=title,
        description=_first_value(attributes, "product_description"),
        status=_status(summary),
        vendor=_first_value(attributes, "brand"),
        product_type=summary.get("productType"),
        variants=[
            Variant(
                id=sku, sku=sku, title=title, price=_money(offer.get("price")), inventory_quantity=mfn_quantity(item)
            )
        ],
        images=[ProductImage(url=image, position=0)] if image else [],
        platform_ids=ids,
        created_at=summary.get("createdDate"),
        updated_at=summary.get("lastUpdatedDate"),
        raw=item,
    )


def mfn_level(item: dict[str, Any]) -> InventoryLevel:
    sku = str(item["sku"])
    return InventoryLevel(
        product_id=sku, variant_id=sku, sku=sku, location_id=MFN_CHANNEL, available=mfn_quantity(item)
    )


def fba_level(summary: dict[str, Any], marketplace: str) -> InventoryLevel:
    """An FBA inventory summary: what Amazon can ship now (fulfillableQuantity) at the marketplace's FCs."""
    sku = str(summary["sellerSku"])
    details = summary.get("inventoryDetails") or {}
    available = details.get("fulfillableQuantity", summary.get("totalQuantity"))
    return InventoryLevel(
        product_id=sku,
        variant_id=sku,
        sku=sku,
        inventory_item_id=summary.get("fnSku"),
        location_id=f"AFN:{marketplace}",
        available=available,
        updated_at=summary.get("lastUpdatedTime") or None,
    )


def order(record: dict[str, Any]) -> Order:
    fulfillment = record.get("fulfillment") or {}
    recipient = (record.get("recipient") or {}).get("deliveryAddress")
    lines = []
    for item in record.get("orderItems") or []:
        item_product = item.get("product") or {}
        sku = item_product.get("sellerSku")
        lines.append(
            OrderLine(
                id=str(item["orderItemId"]),
                product_id=sku,
                variant_id=sku,
                sku=sku,
                title=item_product.get("title"),
                quantity=int(item.get("quantityOrdered") or 0),
                unit_price=_money((item_product.get("price") or {}).get("unitPrice")),
            )
        )
    tracking = [
        Tracking(number=str(p["trackingNumber"]), carrier=p.get("carrier"))
        for p in record.get("packages") or []
        if p.get("trackingNumber")
    ]
    return Order(
        id=str(record["orderId"]),
        platform=SLUG,
        name=str(record["orderId"]),
        status=ORDER_STATUS.get(str(fulfillment.get("fulfillmentStatus")), OrderStatus.PENDING),
        total=_money((record.get("proceeds") or {}).get("grandTotal")),
        lines=lines,
        customer_email=(record.get("buyer") or {}).get("buyerEmail"),
        shipping_address=Address.read(recipient, ADDRESS_KEYS) if isinstance(recipient, dict) else None,
        tracking=tracking,
        created_at=record.get("createdTime"),
        updated_at=record.get("lastUpdatedTime"),
        raw=record,
    )
