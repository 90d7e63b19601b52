"""Gumroad's JSON ↔ fusionhub's models: products, sales (orders), amounts in cents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fusionhub.plugin import (
    Address,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductOption,
    ProductStatus,
    Refund,
    Tracking,
    ValidationError,
    Variant,
)
from fusionhub_gumroad.endpoints import SLUG

Json = dict[str, Any]

# Minor units per currency: Gumroad counts amounts in cents, except for currencies without them.
ZERO_DECIMAL = frozenset({"JPY", "KRW"})
# Sales name their currency by symbol only (`currency_symbol`); the unambiguous ones [unverified
# list, from Gumroad's symbol table]. "$" and anything else: the store's `currency` setting.
SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "CHF": "CHF", "A$": "AUD", "CA$": "CAD"}
# Our address fields in Address.read's order, as a sale names them ("" = Gumroad has no such field).
ADDRESS_KEYS = ("full_name", "street_address", "", "city", "state", "zip_code", "country_iso2")


def _scale(currency: str) -> Decimal:
    return Decimal(1) if currency.upper() in ZERO_DECIMAL else Decimal(100)


def money(cents: Any, currency: str) -> Money | None:
    if cents is None or isinstance(cents, bool):
        return None
    return Money(amount=Decimal(int(cents)) / _scale(currency), currency=currency.upper())


def cents(value: Money, loc: str) -> int:
    """An amount in Gumroad's minor units; more precision than the currency has is refused."""
    scaled = value.amount * _scale(value.currency)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            errors=[{"loc": loc, "msg": f"{value.amount} {value.currency} has more decimals than the currency"}],
            platform=SLUG,
        )
    return int(scaled)


def _options(raw: Json) -> list[ProductOption]:
    """Gumroad's variant categories (a title and its options) as product options."""
    found = []
    for category in raw.get("variants") or []:
        names = [str(o["name"]) for o in category.get("options") or [] if o.get("name")]
        if category.get("title") and names:
            found.append(ProductOption(name=str(category["title"]), values=names))
    return found


def _variants(raw: Json, currency: str) -> list[Variant]:
    """One variant per option when the product has one category (its price plus the difference), else one."""
    base, published = raw.get("price"), bool(raw.get("published"))
    categories = [c for c in raw.get("variants") or [] if c.get("options")]
    if len(categories) != 1 or not isinstance(base, int):
        return [Variant(title="Default", price=money(base, currency), available=published)]
    title = str(categories[0].get("title") or "Version")
    return [
        Variant(
            title=str(option["name"]),
            options={title: str(option["name"])},
            price=money(base + int(option.get("price_difference") or 0), currency),
            available=published,
        )
        for option in categories[0]["options"]
    ]


def product(raw: Json) -> Product:
    currency = str(raw.get("currency") or "usd")
    return Product(
        id=str(raw["id"]),
        platform=SLUG,
        title=str(raw.get("name") or ""),
        description=raw.get("description"),
        # Gumroad has one switch: published or not (a new draft and a disabled product alike).
        status=ProductStatus.ACTIVE if raw.get("published") else ProductStatus.INACTIVE,
        product_type=raw.get("native_type"),
        handle=raw.get("custom_permalink"),
        tags=[str(t) for t in raw.get("tags") or []],
        options=_options(raw),
        variants=_variants(raw, currency),
        platform_ids={k: str(raw[k]) for k in ("short_url", "custom_permalink") if raw.get(k)},
        raw=raw,
    )


def sale_currency(raw: Json, default: str) -> str:
    return SYMBOLS.get(str(raw.get("currency_symbol") or ""), default)


def _status(raw: Json) -> OrderStatus:
    if raw.get("refunded"):
        return OrderStatus.REFUNDED
    if raw.get("partially_refunded"):
        return OrderStatus.PARTIALLY_REFUNDED
    if raw.get("shipped"):  # [unverified] field name of a sale marked as shipped
        return OrderStatus.SHIPPED
    return OrderStatus.PAID


def order(raw: Json, default_currency: str) -> Order:
    currency = sale_currency(raw, default_currency)
    quantity = int(raw.get("quantity") or 1)
    total = money(raw.get("price"), currency)
    address = Address.read(raw, ADDRESS_KEYS) if raw.get("street_address") else None
    tracking = (
        [Tracking(number=str(raw["tracking_url"]), url=str(raw["tracking_url"]))] if raw.get("tracking_url") else []
    )
    return Order(
        id=str(raw["id"]),
        platform=SLUG,
        name=f"#{raw['order_id']}" if raw.get("order_id") is not None else None,
        status=_status(raw),
        total=total,
        lines=[
            OrderLine(
                id=str(raw["id"]),
                product_id=raw.get("product_id"),
                title=raw.get("product_name"),
                quantity=quantity,
                unit_price=total if quantity == 1 else None,
            )
        ],
        customer_email=raw.get("email") or raw.get("purchase_email"),
        shipping_address=address,
        tracking=tracking,
        created_at=raw.get("created_at"),
        raw=raw,
    )


def refund(raw: Json, amount: Money | None, default_currency: str) -> Refund:
    """A refund as Gumroad reports it: the refunded sale (Gumroad gives a refund no id of its own)."""
    refunded = amount
    if refunded is None:  # the whole sale
        refunded = money(raw.get("price"), sale_currency(raw, default_currency))
    return Refund(id=f"{raw['id']}:refund", order_id=str(raw["id"]), amount=refunded, raw=raw)
