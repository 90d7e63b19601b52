"""Params of each capability. They reject bad input with field paths before any I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import Field, model_validator

from fusionhub.errors import ValidationError, from_pydantic, loc_part
from fusionhub.models import InventoryTarget, Money, OperationHandle, ProductChanges, ProductInput, Tracking
from fusionhub.models.common import MAX_QUANTITY, MAX_TEXT, Model

# A platform's id of an object (a GID, a listing id, an ASIN): 255 characters is more than any uses.
ProductId = Annotated[str, Field(min_length=1, max_length=255)]
ObjectId = ProductId
_HTTP = re.compile(r"^https?://[^\s/]+\S*$")
_DESTINATION = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")
_NEVER = frozenset({"javascript", "data", "file", "vbscript"})  # schemes that run or read, never deliver


def _callback(value: str) -> str:
    """Where deliveries go: an http(s) URL, or a destination the platform names (a queue's ARN); the
    plugin checks the form its platform takes."""
    scheme = value.split(":", 1)[0].lower()
    if scheme in ("http", "https"):
        if not _HTTP.match(value):
            raise ValueError("not a valid http(s) URL")
    elif scheme in _NEVER or not _DESTINATION.match(value):
        raise ValueError("an http(s) URL or a platform destination (scheme:name)")
    return value


CallbackTarget = Annotated[str, Field(max_length=2048), pydantic.AfterValidator(_callback)]


class Params(Model):
    """Base of all params: unknown fields are errors, not silently dropped."""


P = TypeVar("P", bound=pydantic.BaseModel)


def parse_params(model: type[P], params: Any, *, platform: str | None = None) -> P:
    """`params` (a mapping, a model or None) as `model`, or a ValidationError naming each field (`params.x`)."""
    if type(params) is not dict:  # the usual case skips the isinstance checks against ABCs below
        if isinstance(params, model):
            return params
        if isinstance(params, pydantic.BaseModel):
            params = params.model_dump()
        if params is not None and not isinstance(params, Mapping):
            raise ValidationError(
                errors=[{"loc": "params", "msg": f"must be an object, not {type(params).__name__}"}], platform=platform
            )
    oversized = _oversized(params, "params", 0)
    if oversized:
        raise ValidationError(errors=[oversized], platform=platform)
    try:
        return model.model_validate(params or {})
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc, prefix="params.", platform=platform) from None
    except RecursionError:
        raise ValidationError(errors=[{"loc": "params", "msg": "nested too deeply"}], platform=platform) from None


MAX_DEPTH = 32  # nesting of params' JSON: deeper is no platform's data


def _oversized(value: Any, loc: str, depth: int) -> dict[str, str] | None:
    """The first text beyond MAX_TEXT or nesting beyond MAX_DEPTH in raw params (field limits come after)."""
    if isinstance(value, str):
        return (
            {"loc": loc, "msg": f"{len(value):,} characters: at most {MAX_TEXT:,}"} if len(value) > MAX_TEXT else None
        )
    if depth > MAX_DEPTH:
        return {"loc": loc, "msg": f"nested more than {MAX_DEPTH} levels deep"}
    if type(value) is dict or isinstance(value, Mapping):  # a dict: no ABC check
        children: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        children = enumerate(value)
    else:
        return None
    for key, child in children:
        if isinstance(key, str) and len(key) > MAX_TEXT:
            return {"loc": loc, "msg": f"a key of {len(key):,} characters"}
        # The usual leaves pass without a location string built for them (it is per call).
        if type(child) is str and len(child) <= MAX_TEXT:
            continue
        if depth < MAX_DEPTH and (child is None or type(child) in (int, float, bool)):
            continue
        found = _oversized(child, f"{loc}.{loc_part(key)}", depth + 1)
        if found:
            return found
    return None


class ListProductsParams(Params):
    cursor: str | None = Field(default=None, description="opaque cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=250)
    status: str | None = None
    query: str | None = None
    updated_since: datetime | None = None


class GetProductParams(Params):
    product_id: ProductId


class CreateProductParams(Params):
    product: ProductInput
    idempotency_key: str | None = Field(default=None, max_length=255)


class UpdateProductParams(Params):
    product_id: ProductId
    changes: ProductChanges

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateProductParams:
        if not self.changes.changed():
            raise ValueError("changes is empty: set at least one field to update")
        return self


class DeleteProductParams(Params):
    product_id: ProductId
    permanent: bool = Field(default=False, description="False archives/deactivates; True deletes for good")


class BulkUpdateParams(Params):
    items: list[UpdateProductParams] = Field(min_length=1, max_length=100_000)


class SyncInventoryParams(Params):
    levels: list[InventoryTarget] = Field(min_length=1, max_length=100_000)
    location_id: str | None = Field(default=None, description="default location for levels without one")


class GetInventoryParams(Params):
    product_id: ProductId | None = None
    skus: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(default=None, max_length=250)
    location_id: str | None = None

    @model_validator(mode="after")
    def _scoped(self) -> GetInventoryParams:
        if self.product_id is None and not self.skus:
            raise ValueError("set product_id or skus")
        return self


class UpdateVariantInventoryParams(Params):
    target: InventoryTarget


class ListOrdersParams(Params):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=250)
    status: str | None = None
    created_since: datetime | None = None
    updated_since: datetime | None = None


class GetOrderParams(Params):
    order_id: ObjectId


class OrderAction(StrEnum):
    FULFILL = "fulfill"
    SHIP = "ship"
    MARK_PAID = "mark_paid"
    CANCEL = "cancel"
    CLOSE = "close"


class UpdateOrderStatusParams(Params):
    order_id: ObjectId
    action: OrderAction
    tracking: Tracking | None = None
    notify_customer: bool = False
    reason: str | None = None


class RefundLine(Params):
    line_id: ObjectId
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ProcessRefundParams(Params):
    order_id: ObjectId
    amount: Money | None = Field(default=None, description="None with no lines = full refund")
    lines: list[RefundLine] = Field(default_factory=list)
    reason: str | None = None
    notify_customer: bool = False
    idempotency_key: str | None = Field(default=None, max_length=255)


class WebhookAction(StrEnum):
    LIST = "list"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


class WebhooksParams(Params):
    action: WebhookAction = WebhookAction.LIST
    topics: list[str] = Field(default_factory=list)
    callback_url: CallbackTarget | None = None
    subscription_id: ObjectId | None = None

    @model_validator(mode="after")
    def _complete(self) -> WebhooksParams:
        if self.action is WebhookAction.SUBSCRIBE and not (self.topics and self.callback_url):
            raise ValueError("subscribe needs topics and callback_url")
        if self.action is WebhookAction.UNSUBSCRIBE and not self.subscription_id:
            raise ValueError("unsubscribe needs subscription_id")
        return self


class BulkOperationKind(StrEnum):
    EXPORT_PRODUCTS = "export_products"
    EXPORT_ORDERS = "export_orders"
    UPDATE_PRODUCTS = "update_products"


class BulkOperationsParams(Params):
    """Start a platform-optimized bulk run, or poll one already started (`handle`)."""

    kind: BulkOperationKind = BulkOperationKind.EXPORT_PRODUCTS
    items: list[UpdateProductParams] = Field(default_factory=list, max_length=100_000)
    handle: OperationHandle | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _items_when_updating(self) -> BulkOperationsParams:
        if self.handle is None and self.kind is BulkOperationKind.UPDATE_PRODUCTS and not self.items:
            raise ValueError("update_products needs items")
        return self
