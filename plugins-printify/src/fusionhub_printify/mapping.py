"""Printify payloads to core models: products → Product, variants → Variant/InventoryLevel, orders → Order.

Printify's money is integer cents of the account's currency (the store's `currency` setting);
its times are "2019-07-25 13:40:41+00:00".
"""

from __future__ import annotations

from datetime import datetime
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
    ProductOption,
    ProductStatus,
    Tracking,
    Variant,
)
from fusionhub_printify.config import SLUG

Json = dict[str, Any]

# Printify order statuses (orders.json `status`). Anything else reads as pending.
ORDER_STATUS = {
    "pending": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING,
    "payment-not-received": OrderStatus.PENDING,
    "has-issues": OrderStatus.PENDING,
    "sending-to-production": OrderStatus.PAID,
    "in-production": OrderStatus.PAID,
    "partially-fulfilled": OrderStatus.PARTIALLY_FULFILLED,
    "fulfilled": OrderStatus.FULFILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
}


def cents(value: Any, currency: str) -> Money | None:
    if value is None or isinstance(value, bool):
        return None
    return Money(amount=Decimal(int(value)) / 100, currency=currency)


def to_cents(money: Money) -> int:
    return int((money.amount * 100).to_integral_value())


def timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None


def is_orderable(variant: Json) -> bool:
    """A variant can be ordered when the merchant enabled it and its provider can make it."""
    return bool(variant.get("is_enabled", True)) and bool(variant.get("is_available", True))


def _option_titles(product: Json) -> tuple[list[ProductOption], dict[int, tuple[str, str]]]:
    options, by_value = [], {}
    for option in product.get("options") or []:
        values = [v for v in option.get("values") or [] if v.get("title")]
        if not values:
            continue
        name = str(option.get("name") or option.get("type") or "option")
        options.append(ProductOption(name=name, values=[str(v["title"]) for v in values]))
        by_value.update({int(v["id"]): (name, str(v["title"])) for v in values if v.get("id") is not None})
    return options, by_value


def variant(item: Json, currency: str, by_value: dict[int, tuple[str, str]] | None = None) -> Variant:
    names = [by_value[i] for i in item.get("options") or [] if by_value and i in by_value]
    return Variant(
        id=str(item["id"]),
        sku=item.get("sku") or None,
        title=item.get("title"),
        price=cents(item.get("price"), currency),
        options=dict(names),
        inventory_quantity=None,  # made to order: nothing is counted
        available=is_orderable(item),
    )


def level(product_id: str, item: Json) -> InventoryLevel:
    """None: made to order, not counted; 0: this variant cannot be ordered (disabled or unavailable)."""
    return InventoryLevel(
        product_id=product_id,
        variant_id=str(item["id"]),
        sku=item.get("sku") or None,
        available=None if is_orderable(item) else 0,
    )


def product(data: Json, currency: str) -> Product:
    options, by_value = _option_titles(data)
    external = data.get("external") or {}
    images = [
        ProductImage(url=image["src"], position=i)
        for i, image in enumerate(data.get("images") or [])
        if str(image.get("src", "")).startswith(("http://", "https://"))
    ]
    platform_ids = {
        key: str(data[key]) for key in ("blueprint_id", "print_provider_id", "shop_id") if data.get(key) is not None
    }
    if external.get("id"):
        platform_ids["external_id"] = str(external["id"])
    platform_ids["is_locked"] = "true" if data.get("is_locked") else "false"
    return Product(
        id=str(data["id"]),
        platform=SLUG,
        title=data.get("title") or "",
        description=data.get("description"),
        status=ProductStatus.ACTIVE if external.get("id") else ProductStatus.DRAFT,
        handle=external.get("handle"),
        tags=[str(t) for t in data.get("tags") or []],
        options=options,
        variants=[variant(v, currency, by_value) for v in data.get("variants") or []],
        images=images,
        platform_ids=platform_ids,
        created_at=timestamp(data.get("created_at")),
        updated_at=timestamp(data.get("updated_at")),
        raw=data,
    )


def _address(data: Json) -> Address | None:
    to = data.get("address_to")
    if not isinstance(to, dict):
        return None
    name = " ".join(str(to[k]) for k in ("first_name", "last_name") if to.get(k)) or None
    fields = Address.read(to, ("name", "address1", "address2", "city", "region", "zip", "country"))
    return fields.model_copy(update={"name": name})


def order(data: Json, currency: str) -> Order:
    order_id = str(data["id"])
    lines = []
    for i, item in enumerate(data.get("line_items") or []):
        about = item.get("metadata") or {}
        lines.append(
            OrderLine(
                id=f"{order_id}:{i}",
                product_id=str(item["product_id"]) if item.get("product_id") else None,
                variant_id=str(item["variant_id"]) if item.get("variant_id") is not None else None,
                sku=about.get("sku") or None,
                title=about.get("title"),
                quantity=int(item.get("quantity") or 0),
                unit_price=cents(about.get("price"), currency),
            )
        )
    tracking = [
        Tracking(number=str(s["number"]), carrier=s.get("carrier"), url=s.get("url"))
        for s in data.get("shipments") or []
        if s.get("number")
    ]
    totals = [data.get(k) for k in ("total_price", "total_shipping", "total_tax")]
    total = sum(int(t) for t in totals if t is not None) if any(t is not None for t in totals) else None
    label = (data.get("metadata") or {}).get("shop_order_label")
    return Order(
        id=order_id,
        platform=SLUG,
        name=str(label) if label else None,
        status=ORDER_STATUS.get(str(data.get("status", "")), OrderStatus.PENDING),
        total=cents(total, currency),
        lines=lines,
        customer_email=(data.get("address_to") or {}).get("email"),
        shipping_address=_address(data),
        tracking=tracking,
        created_at=timestamp(data.get("created_at")),
        updated_at=timestamp(data.get("fulfilled_at") or data.get("sent_to_production_at") or data.get("created_at")),
        raw=data,
    )
