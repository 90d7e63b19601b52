"""The sandbox schema (schema.graphql) with its resolvers attached."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, build_schema

from fusionhub_shopify.sandbox import reads, writes
from fusionhub_shopify.sandbox.bulk import BulkRunner

Resolver = Callable[..., Any]

FIELDS: dict[str, dict[str, Resolver]] = {
    "QueryRoot": {
        "shop": reads.q_shop,
        "location": reads.q_location,
        "node": reads.q_node,
        "product": reads.q_product,
        "products": reads.q_products,
        "productVariant": reads.q_variant,
        "productVariants": reads.q_variants,
        "order": reads.q_order,
        "orders": reads.q_orders,
        "webhookSubscriptions": reads.q_webhooks,
    },
    "Product": {"variants": reads.product_variants, "options": reads.product_options},
    "ProductVariant": {
        "inventoryQuantity": reads.variant_inventory_quantity,
        "inventoryItem": lambda obj, _info: obj["_item"],
        "product": lambda obj, _info: obj["_product"],
    },
    "InventoryItem": {
        "sku": reads.item_sku,
        "variant": lambda obj, _info: obj["_variant"],
        "inventoryLevels": reads.item_levels,
    },
    "InventoryLevel": {"quantities": reads.level_quantities},
    "Order": {
        "displayFinancialStatus": reads.order_financial,
        "displayFulfillmentStatus": reads.order_fulfillment,
        "totalPriceSet": reads.order_total,
        "lineItems": reads.order_lines,
        "fulfillments": reads.order_fulfillments,
        "refunds": lambda obj, _info, first=None: list(obj["_refunds"][:first] if first else obj["_refunds"]),
        "fulfillmentOrders": reads.order_fulfillment_orders,
        "suggestedRefund": reads.suggested_refund,
    },
    "LineItem": {"originalUnitPriceSet": reads.line_price},
    "Fulfillment": {"trackingInfo": reads.tracking_info},
    "Refund": {"refundLineItems": reads.refund_lines},
    "WebhookSubscription": {"endpoint": reads.subscription_endpoint},
    "Mutation": {
        "productCreate": writes.product_create,
        "productUpdate": writes.product_update,
        "productDelete": writes.product_delete,
        "productVariantsBulkCreate": writes.variants_bulk_create,
        "productVariantsBulkUpdate": writes.variants_bulk_update,
        "inventorySetQuantities": writes.inventory_set,
        "fulfillmentCreate": writes.fulfillment_create,
        "orderCancel": writes.order_cancel,
        "orderClose": writes.order_close,
        "orderMarkAsPaid": writes.order_mark_paid,
        "refundCreate": writes.refund_create,
        "webhookSubscriptionCreate": writes.webhook_create,
        "webhookSubscriptionDelete": writes.webhook_delete,
    },
}


def load() -> GraphQLSchema:
    text = resources.files("fusionhub_shopify.sandbox").joinpath("schema.graphql").read_text("utf-8")
    return build_schema(text)


def attach(schema: GraphQLSchema, bulk: BulkRunner) -> GraphQLSchema:
    fields: dict[str, dict[str, Resolver]] = {
        **FIELDS,
        "Mutation": {
            **FIELDS["Mutation"],
            "bulkOperationRunQuery": bulk.run_query,
            "bulkOperationRunMutation": bulk.run_mutation,
            "stagedUploadsCreate": bulk.staged_uploads,
        },
    }
    for type_name, resolvers in fields.items():
        gql_type = schema.type_map[type_name]
        assert isinstance(gql_type, GraphQLObjectType)
        for field_name, resolver in resolvers.items():
            gql_type.fields[field_name].resolve = resolver
    return schema
