"""Resolvers of computed fields and of the queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from fusionhub_shopify.sandbox.connections import connection
from fusionhub_shopify.sandbox.search import matcher
from fusionhub_shopify.sandbox.state import GID, ShopState, bag, number

Info = GraphQLResolveInfo


def state(info: Info) -> ShopState:
    return info.context["state"]  # type: ignore[no-any-return]


def bulk(info: Info) -> bool:
    return bool(info.context.get("bulk"))


def page(info: Info, items: list[dict[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
    return connection(items, kwargs.get("first"), kwargs.get("after"), bulk=bulk(info))


# --- objects ----------------------------------------------------------------------------------


def product_variants(obj: dict[str, Any], info: Info, **kw: Any) -> dict[str, Any]:
    return page(info, obj["_variants"], kw)


def product_options(obj: dict[str, Any], info: Info, first: int | None = None) -> list[dict[str, Any]]:
    return list(obj["options"][:first] if first else obj["options"])


def variant_inventory_quantity(obj: dict[str, Any], info: Info) -> int:
    return sum(level["available"] for level in obj["_item"]["_levels"].values())


def item_sku(obj: dict[str, Any], info: Info) -> str | None:
    return obj["_variant"]["sku"]  # type: ignore[no-any-return]


def _level(item: dict[str, Any], location_id: str, values: dict[str, Any], info: Info) -> dict[str, Any]:
    return {
        "__typename": "InventoryLevel",
        "id": f"{GID}InventoryLevel/{number(item['id'])}?inventory_item_id={number(item['id'])}",
        "updatedAt": values["updatedAt"],
        "location": state(info).location
        if location_id == state(info).location["id"]
        else {"id": location_id, "name": "Other"},
        "item": item,
        "_values": values,
    }


def item_levels(obj: dict[str, Any], info: Info, **kw: Any) -> dict[str, Any]:
    levels = [_level(obj, loc, values, info) for loc, values in obj["_levels"].items()]
    return page(info, levels, kw)


def level_quantities(obj: dict[str, Any], info: Info, names: list[str]) -> list[dict[str, Any]]:
    values = obj["_values"]
    return [
        {
            "id": f"{obj['id']}&name={name}",
            "name": name,
            "quantity": int(values.get("available", 0)),
            "updatedAt": values["updatedAt"],
        }
        for name in names
        if name in ("available", "on_hand")
    ]


def order_financial(obj: dict[str, Any], info: Info) -> str:
    return obj["_financial"]  # type: ignore[no-any-return]


def order_fulfillment(obj: dict[str, Any], info: Info) -> str:
    return obj["_fulfillment"]  # type: ignore[no-any-return]


def order_total(obj: dict[str, Any], info: Info) -> dict[str, Any]:
    return bag(obj["_total"], state(info).currency)


def order_lines(obj: dict[str, Any], info: Info, **kw: Any) -> dict[str, Any]:
    return page(info, obj["_lines"], kw)


def order_fulfillments(obj: dict[str, Any], info: Info, first: int | None = None) -> list[dict[str, Any]]:
    return list(obj["_fulfillments"][:first] if first else obj["_fulfillments"])


def order_fulfillment_orders(obj: dict[str, Any], info: Info, **kw: Any) -> dict[str, Any]:
    return page(info, obj["_fulfillment_orders"], kw)


def line_price(obj: dict[str, Any], info: Info) -> dict[str, Any]:
    return bag(obj["_price"], state(info).currency)


def tracking_info(obj: dict[str, Any], info: Info, first: int | None = None) -> list[dict[str, Any]]:
    return list(obj["_tracking"][:first] if first else obj["_tracking"])


def refundable(order: dict[str, Any]) -> Decimal:
    return order["_total"] - order["_refunded"]  # type: ignore[no-any-return]


def suggested_refund(
    obj: dict[str, Any],
    info: Info,
    refundLineItems: list[dict[str, Any]] | None = None,
    suggestFullRefund: bool | None = None,
    refundShipping: bool | None = None,
) -> dict[str, Any]:
    shop = state(info)
    lines = {line["id"]: line for line in obj["_lines"]}
    picked = []
    if suggestFullRefund:
        picked = [
            (line, line["quantity"] - line["_refunded"])
            for line in obj["_lines"]
            if line["quantity"] > line["_refunded"]
        ]
        amount = refundable(obj)
    else:
        for wanted in refundLineItems or ():
            line = lines.get(wanted["lineItemId"])
            if line is not None:
                picked.append((line, min(wanted["quantity"], line["quantity"] - line["_refunded"])))
        amount = min(refundable(obj), sum((line["_price"] * q for line, q in picked), Decimal("0")))
    sales = [t for t in obj["_transactions"] if t["kind"] == "SALE"]
    transactions = (
        [
            {
                "gateway": sales[0]["gateway"],
                "kind": "SUGGESTED_REFUND",
                "amountSet": bag(amount, shop.currency),
                "parentTransaction": sales[0],
            }
        ]
        if sales and amount > 0
        else []
    )
    return {
        "amountSet": bag(amount, shop.currency),
        "refundLineItems": [{"quantity": q, "lineItem": line} for line, q in picked if q > 0],
        "suggestedTransactions": transactions,
    }


def refund_lines(obj: dict[str, Any], info: Info, **kw: Any) -> dict[str, Any]:
    items = [{"id": f"{GID}RefundLineItem/{i}", **item} for i, item in enumerate(obj["_lines"], start=1)]
    return page(info, items, kw)


def subscription_endpoint(obj: dict[str, Any], info: Info) -> dict[str, Any]:
    return {"__typename": "WebhookHttpEndpoint", "callbackUrl": obj["callbackUrl"]}


# --- queries ----------------------------------------------------------------------------------

PRODUCT_FIELDS = {
    "status": lambda p: p["status"],
    "updated_at": lambda p: p["updatedAt"],
    "created_at": lambda p: p["createdAt"],
    "title": lambda p: p["title"],
    "product_type": lambda p: p["productType"],
    "vendor": lambda p: p["vendor"],
}
VARIANT_FIELDS = {"sku": lambda v: v["sku"], "id": lambda v: str(number(v["id"]))}
ORDER_FIELDS = {
    "status": lambda o: "cancelled" if o["cancelledAt"] else ("closed" if o["closed"] else "open"),
    "financial_status": lambda o: o["_financial"],
    "fulfillment_status": lambda o: {"FULFILLED": "shipped", "PARTIALLY_FULFILLED": "partial"}.get(
        o["_fulfillment"], "unshipped"
    ),
    "created_at": lambda o: o["createdAt"],
    "updated_at": lambda o: o["updatedAt"],
}


def q_shop(_root: Any, info: Info) -> dict[str, Any]:
    return {"id": f"{GID}Shop/1", "name": "Sandbox", "currencyCode": state(info).currency}


def q_location(_root: Any, info: Info, id: str | None = None) -> dict[str, Any] | None:
    loc = state(info).location
    return loc if id in (None, loc["id"]) else None


def q_product(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    return state(info).products.get(number(id)) if "/Product/" in id else None


def q_products(_root: Any, info: Info, query: str | None = None, **kw: Any) -> dict[str, Any]:
    match = matcher(query, PRODUCT_FIELDS)
    return page(info, [p for p in state(info).products.values() if match(p)], kw)


def q_variant(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    return state(info).variants.get(number(id)) if "/ProductVariant/" in id else None


def q_variants(_root: Any, info: Info, query: str | None = None, **kw: Any) -> dict[str, Any]:
    match = matcher(query, VARIANT_FIELDS)
    return page(info, [v for v in state(info).variants.values() if match(v)], kw)


def q_order(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    return state(info).orders.get(number(id)) if "/Order/" in id else None


def q_orders(_root: Any, info: Info, query: str | None = None, **kw: Any) -> dict[str, Any]:
    match = matcher(query, ORDER_FIELDS)
    return page(info, [o for o in state(info).orders.values() if match(o)], kw)


def q_webhooks(_root: Any, info: Info, **kw: Any) -> dict[str, Any]:
    return page(info, list(state(info).webhooks.values()), kw)


def q_node(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    shop = state(info)
    tables = {
        "BulkOperation": shop.bulk_operations,
        "Product": shop.products,
        "ProductVariant": shop.variants,
        "Order": shop.orders,
        "InventoryItem": shop.items,
        "WebhookSubscription": shop.webhooks,
    }
    kind = id.removeprefix(GID).split("/", 1)[0]
    table = tables.get(kind)
    if table is None:
        return None
    obj = table.get(number(id))
    if obj is not None and kind == "BulkOperation":
        info.context["advance"](obj)
    return obj
