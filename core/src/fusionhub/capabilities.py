"""The 15 standard capabilities and, as data, what each takes and returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, get_args, get_origin

from fusionhub import params as p
from fusionhub.models import (
    BulkResult,
    InventoryLevel,
    InventorySyncResult,
    OperationHandle,
    Order,
    Page,
    Product,
    Refund,
    WebhookSubscriptions,
)
from fusionhub.models.common import Model


class Capability(StrEnum):
    LIST_PRODUCTS = "list_products"
    GET_PRODUCT = "get_product"
    CREATE_PRODUCT = "create_product"
    UPDATE_PRODUCT = "update_product"
    DELETE_PRODUCT = "delete_product"
    BULK_UPDATE = "bulk_update"
    SYNC_INVENTORY = "sync_inventory"
    GET_INVENTORY = "get_inventory"
    UPDATE_VARIANT_INVENTORY = "update_variant_inventory"
    LIST_ORDERS = "list_orders"
    GET_ORDER = "get_order"
    UPDATE_ORDER_STATUS = "update_order_status"
    PROCESS_REFUND = "process_refund"
    WEBHOOKS = "webhooks"
    BULK_OPERATIONS = "bulk_operations"

    @property
    def hook_name(self) -> str:
        return f"fusionhub_{self.value}"


class DeleteResult(Model):
    product_id: str
    permanent: bool


class InventoryLevels(Model):
    levels: list[InventoryLevel]


@dataclass(frozen=True, slots=True)
class CapabilitySpec:
    capability: Capability
    params: type[p.Params]
    result: Any  # a pydantic model class, possibly parametrized (Page[Product])
    writes: bool  # a write invalidates the store's read cache and is not retried blindly
    group: str
    summary: str


_SPECS = [
    CapabilitySpec(
        Capability.LIST_PRODUCTS,
        p.ListProductsParams,
        Page[Product],
        False,
        "products",
        "Retrieve the product catalog, one page at a time",
    ),
    CapabilitySpec(Capability.GET_PRODUCT, p.GetProductParams, Product, False, "products", "Fetch one product"),
    CapabilitySpec(Capability.CREATE_PRODUCT, p.CreateProductParams, Product, True, "products", "Create a product"),
    CapabilitySpec(
        Capability.UPDATE_PRODUCT, p.UpdateProductParams, Product, True, "products", "Update a product partially"
    ),
    CapabilitySpec(
        Capability.DELETE_PRODUCT,
        p.DeleteProductParams,
        DeleteResult,
        True,
        "products",
        "Archive (default) or delete a product",
    ),
    CapabilitySpec(Capability.BULK_UPDATE, p.BulkUpdateParams, BulkResult, True, "products", "Update many products"),
    CapabilitySpec(
        Capability.SYNC_INVENTORY,
        p.SyncInventoryParams,
        InventorySyncResult,
        True,
        "inventory",
        "Push inventory levels to the platform",
    ),
    CapabilitySpec(
        Capability.GET_INVENTORY, p.GetInventoryParams, InventoryLevels, False, "inventory", "Fetch current inventory"
    ),
    CapabilitySpec(
        Capability.UPDATE_VARIANT_INVENTORY,
        p.UpdateVariantInventoryParams,
        InventoryLevel,
        True,
        "inventory",
        "Set one SKU's inventory",
    ),
    CapabilitySpec(
        Capability.LIST_ORDERS, p.ListOrdersParams, Page[Order], False, "orders", "Retrieve orders, one page at a time"
    ),
    CapabilitySpec(Capability.GET_ORDER, p.GetOrderParams, Order, False, "orders", "Fetch one order"),
    CapabilitySpec(
        Capability.UPDATE_ORDER_STATUS,
        p.UpdateOrderStatusParams,
        Order,
        True,
        "orders",
        "Mark shipped, fulfilled, cancelled, closed",
    ),
    CapabilitySpec(Capability.PROCESS_REFUND, p.ProcessRefundParams, Refund, True, "orders", "Issue a refund"),
    CapabilitySpec(
        Capability.WEBHOOKS,
        p.WebhooksParams,
        WebhookSubscriptions,
        True,
        "platform",
        "Manage real-time event subscriptions",
    ),
    CapabilitySpec(
        Capability.BULK_OPERATIONS,
        p.BulkOperationsParams,
        OperationHandle,
        True,
        "platform",
        "Platform-optimized bulk processing",
    ),
]

CAPABILITY_SPECS: dict[Capability, CapabilitySpec] = {spec.capability: spec for spec in _SPECS}
assert set(CAPABILITY_SPECS) == set(Capability), "every capability needs a spec"


def spec_of(capability: Capability | str) -> CapabilitySpec:
    return CAPABILITY_SPECS[Capability(capability)]


def item_params(capability: Capability | str) -> type[p.Params] | None:
    """The params of one item when a capability takes `items` and returns a BulkResult, else None.

    Such a capability can be declared as a fan-out: one call of another capability per item.
    """
    spec = spec_of(capability)
    field = spec.params.model_fields.get("items")
    if spec.result is not BulkResult or field is None or get_origin(field.annotation) is not list:
        return None
    (item,) = get_args(field.annotation)
    return item if isinstance(item, type) and issubclass(item, p.Params) else None
