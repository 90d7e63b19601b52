"""Domain models: what every capability takes and returns, whatever the platform."""

from fusionhub.models.catalog import (
    Product,
    ProductChanges,
    ProductImage,
    ProductInput,
    ProductOption,
    ProductStatus,
    Variant,
)
from fusionhub.models.common import (
    BulkResult,
    ItemOutcome,
    Model,
    Money,
    OperationHandle,
    OperationStatus,
    Page,
)
from fusionhub.models.events import Event, EventBatch, EventSource, EventType, WebhookSubscription, WebhookSubscriptions
from fusionhub.models.inventory import InventoryLevel, InventorySyncResult, InventoryTarget
from fusionhub.models.orders import Address, Order, OrderLine, OrderStatus, Refund, Tracking

__all__ = [
    "Address",
    "BulkResult",
    "Event",
    "EventBatch",
    "EventSource",
    "EventType",
    "InventoryLevel",
    "InventorySyncResult",
    "InventoryTarget",
    "ItemOutcome",
    "Model",
    "Money",
    "OperationHandle",
    "OperationStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Page",
    "Product",
    "ProductChanges",
    "ProductImage",
    "ProductInput",
    "ProductOption",
    "ProductStatus",
    "Refund",
    "Tracking",
    "Variant",
    "WebhookSubscription",
    "WebhookSubscriptions",
]
