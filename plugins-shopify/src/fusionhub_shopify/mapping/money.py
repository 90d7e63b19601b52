"""Money as Shopify writes it: decimal strings, a MoneyBag's shopMoney."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fusionhub.plugin import Money


def money(amount: Any, currency: str) -> Money | None:
    return None if amount is None else Money(amount=Decimal(str(amount)), currency=currency)


def shop_money(bag: Any) -> Money | None:
    """`{shopMoney: {amount, currencyCode}}` → Money (the shop's currency, not the buyer's)."""
    if not isinstance(bag, dict) or not isinstance(bag.get("shopMoney"), dict):
        return None
    value = bag["shopMoney"]
    return money(value.get("amount"), str(value.get("currencyCode")))


def amount(value: Money) -> str:
    return format(value.amount.normalize(), "f")
