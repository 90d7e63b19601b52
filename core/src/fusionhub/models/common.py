"""Shapes shared by every capability: money, pages, long-running operation handles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

T = TypeVar("T")

# Caps on what a caller may send, whatever the platform: no text longer than this reaches one
# (a listing's description included), and no stock count beyond a platform's 32-bit integers.
MAX_TEXT = 65_535
MAX_QUANTITY = 2_147_483_647
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]


# A platform's data kept exactly as it came (a signed payload, a raw record): keys are not stripped.
RawJson = dict[Annotated[str, StringConstraints(strip_whitespace=False)], Any]


class Model(BaseModel):
    """Base of domain models: strict about unknown fields in input, immutable after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)


class Money(Model):
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=6)
    currency: CurrencyCode

    @field_validator("amount", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        # Floats lose cents (0.1 + 0.2); accept them only through their shortest repr.
        if isinstance(value, float):
            return Decimal(repr(value))
        return value

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class Page(Model, Generic[T]):
    """One page of a listing. `next_cursor` is opaque: pass it back unchanged, None = last page."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = Field(default=None, ge=0)


class OperationStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class OperationHandle(Model):
    """A long-running platform operation (a bulk export or import, a submitted feed).

    The runtime polls it by re-scheduling a job after `poll_after_seconds`; nothing sleeps.
    """

    operation_id: str
    kind: str = Field(description="what runs, e.g. 'bulk_query', 'bulk_mutation', 'feed'")
    status: OperationStatus = OperationStatus.CREATED
    poll_after_seconds: float = Field(default=5.0, ge=0)
    done: int | None = Field(default=None, ge=0)
    total: int | None = Field(default=None, ge=0)
    result: RawJson | None = None
    error: str | None = None
    created_at: datetime | None = None
    state: RawJson = Field(default_factory=dict, description="plugin-private data needed to poll")

    @property
    def finished(self) -> bool:
        return self.status in {OperationStatus.COMPLETED, OperationStatus.FAILED, OperationStatus.CANCELED}


class ItemOutcome(Model):
    """Result of one item of a bulk run (native or fanned out)."""

    index: int = Field(ge=0)
    key: str | None = None
    ok: bool
    result: RawJson | None = None
    error_category: str | None = None
    error: str | None = None


ITEM_KEY_FIELDS = ("product_id", "order_id", "variant_id", "sku")


def item_key(params: Any) -> str | None:
    """The id an item of a bulk is known by (its product, order, variant or SKU), for reports."""
    if not isinstance(params, dict):
        return None
    for name in ITEM_KEY_FIELDS:
        value = params.get(name)
        if value:
            return str(value)
    target = params.get("target")  # update_variant_inventory items nest the variant
    return item_key(target) if isinstance(target, dict) else None


class BulkResult(Model):
    """Aggregate of a bulk run: one outcome per input item, in input order."""

    total: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    unknown: int = Field(default=0, ge=0, description="items whose outcome is not known (may or may not be applied)")
    items: list[ItemOutcome]
    operation: OperationHandle | None = None
