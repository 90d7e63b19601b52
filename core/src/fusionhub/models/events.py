"""Normalized platform events, the same whether they came by webhook or by polling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from fusionhub.models.common import Model, RawJson


class EventType(StrEnum):
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_PAID = "order.paid"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_FULFILLED = "order.fulfilled"
    INVENTORY_UPDATED = "inventory.updated"
    REFUND_CREATED = "refund.created"
    OPERATION_FINISHED = "operation.finished"
    APP_UNINSTALLED = "app.uninstalled"
    OTHER = "other"


class EventSource(StrEnum):
    WEBHOOK = "webhook"
    POLLING = "polling"


class Event(Model):
    platform: str
    type: EventType
    delivery_id: str = Field(description="unique per delivery; duplicates are dropped on it")
    resource_id: str | None = None
    topic: str | None = Field(default=None, description="the platform's own name of the event")
    source: EventSource = EventSource.WEBHOOK
    occurred_at: datetime | None = None
    payload: RawJson = Field(default_factory=dict, repr=False)
    replay_key: str | None = Field(
        default=None,
        max_length=128,
        description="what the delivery is, from signed data only (a hash of its signature): a replay under "
        "rewritten unsigned headers has the same key and is dropped, in every process and after restarts",
    )


class WebhookSubscription(Model):
    id: str
    topic: str
    callback_url: str | None = None
    created_at: datetime | None = None


class WebhookSubscriptions(Model):
    subscriptions: list[WebhookSubscription]


class EventBatch(Model):
    """One poll's events and the cursor to pass next time (None: start over)."""

    events: list[Event]
    cursor: str | None = None
