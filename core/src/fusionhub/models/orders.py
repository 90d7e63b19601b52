"""Orders (whatever a platform calls them: orders, receipts, sales) and refunds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from fusionhub.models.common import Model, Money, RawJson


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class OrderLine(Model):
    id: str
    product_id: str | None = None
    variant_id: str | None = None
    sku: str | None = None
    title: str | None = None
    quantity: int = Field(ge=0)
    unit_price: Money | None = None


class Address(Model):
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None

    @classmethod
    def read(cls, record: Mapping[str, Any], keys: Sequence[str]) -> Address:
        """An address from a platform's record: `keys` are its names for our fields, in our order
        (name, line1, line2, city, region, postal_code, country_code). A plugin's field map is data."""
        if len(keys) != len(cls.model_fields):
            raise ValueError(f"Address.read needs {len(cls.model_fields)} keys, got {len(keys)}")
        return cls(**{ours: record.get(theirs) for ours, theirs in zip(cls.model_fields, keys, strict=True)})


class Tracking(Model):
    number: str = Field(min_length=1, max_length=255)
    carrier: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2048)


class Order(Model):
    id: str
    platform: str
    name: str | None = None
    status: OrderStatus
    total: Money | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    customer_email: str | None = Field(default=None, repr=False)
    shipping_address: Address | None = Field(default=None, repr=False)
    tracking: list[Tracking] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: RawJson | None = Field(default=None, repr=False)


class Refund(Model):
    id: str
    order_id: str
    amount: Money | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    note: str | None = None
    created_at: datetime | None = None
    raw: RawJson | None = Field(default=None, repr=False)
