"""Resolvers of the mutations: Shopify's validation as userErrors, state changes, webhook events."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fusionhub_shopify.sandbox.reads import Info, refundable, state
from fusionhub_shopify.sandbox.state import GID, ShopState, number

MAX_VARIANTS = 2048  # the sandbox's limit per product [unverified against Shopify]; the plugin keeps the spec's 100


def err(field: list[Any], message: str, code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": [str(f) for f in field], "message": message}
    if code:
        out["code"] = code
    return out


def _webhook(shop: ShopState, topic: str, obj: dict[str, Any], **extra: Any) -> None:
    shop.emit(topic, {"id": number(obj["id"]), "admin_graphql_api_id": obj["id"], **extra})


def _money(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return format(Decimal(str(value)).quantize(Decimal("0.01")), "f")
    except InvalidOperation:
        return "invalid"


# --- products ---------------------------------------------------------------------------------

_PRODUCT_INPUT = {
    "title": "title",
    "descriptionHtml": "descriptionHtml",
    "productType": "productType",
    "vendor": "vendor",
    "tags": "tags",
    "status": "status",
    "handle": "handle",
}


def product_create(_root: Any, info: Info, product: dict[str, Any] | None = None, media: Any = None) -> dict[str, Any]:
    shop = state(info)
    product = product or {}
    if not (product.get("title") or "").strip():
        return {"product": None, "userErrors": [err(["title"], "Title can't be blank")]}
    options = [
        {"name": o["name"], "values": [v["name"] for v in o.get("values") or ()]}
        for o in product.get("productOptions") or ()
    ]
    if any(not o["values"] for o in options):
        return {"product": None, "userErrors": [err(["productOptions"], "Option values can't be blank")]}
    created = shop.add_product(
        product["title"],
        status=product.get("status") or "ACTIVE",
        options=options or None,
        vendor=product.get("vendor") or "",
        product_type=product.get("productType") or "",
        tags=product.get("tags"),
        description=product.get("descriptionHtml") or "",
    )
    first = [{"name": o["name"], "value": o["values"][0]} for o in created["options"]]
    shop.add_variant(created, first, tracked=False)  # the standalone variant
    _webhook(shop, "products/create", created, title=created["title"])
    return {"product": created, "userErrors": []}


def product_update(_root: Any, info: Info, product: dict[str, Any] | None = None, media: Any = None) -> dict[str, Any]:
    shop = state(info)
    product = product or {}
    found = shop.products.get(number(product.get("id") or ""))
    if found is None:
        return {"product": None, "userErrors": [err(["id"], "Product does not exist")]}
    if "title" in product and not (product["title"] or "").strip():
        return {"product": None, "userErrors": [err(["title"], "Title can't be blank")]}
    for key, target in _PRODUCT_INPUT.items():
        if key in product and product[key] is not None:
            found[target] = product[key]
    shop.touch(found)
    _webhook(shop, "products/update", found, title=found["title"])
    return {"product": found, "userErrors": []}


def product_delete(_root: Any, info: Info, input: dict[str, Any], synchronous: bool | None = None) -> dict[str, Any]:
    shop = state(info)
    found = shop.products.get(number(input["id"]))
    if found is None:
        return {"deletedProductId": None, "userErrors": [err(["id"], "Product does not exist")]}
    shop.remove_product(found)
    _webhook(shop, "products/delete", found)
    return {"deletedProductId": found["id"], "userErrors": []}


def _apply_variant(shop: ShopState, variant: dict[str, Any], data: dict[str, Any]) -> None:
    if "price" in data and data["price"] is not None:
        variant["price"] = _money(data["price"])
    if "compareAtPrice" in data:
        variant["compareAtPrice"] = _money(data["compareAtPrice"])
    if "barcode" in data:
        variant["barcode"] = data["barcode"]
    item = data.get("inventoryItem") or {}
    if "sku" in item:
        variant["sku"] = item["sku"]
    if "tracked" in item and item["tracked"] is not None:
        variant["_item"]["tracked"] = item["tracked"]
    for level in data.get("inventoryQuantities") or ():
        variant["_item"]["_levels"][level["locationId"]] = {
            "available": level["availableQuantity"],
            "updatedAt": shop.now(),
        }


def _variant_errors(product: dict[str, Any], variants: list[dict[str, Any]], creating: bool) -> list[dict[str, Any]]:
    errors = []
    names = [o["name"] for o in product["options"]]
    ids = {v["id"] for v in product["_variants"]}
    combos = set()
    for i, data in enumerate(variants):
        price = _money(data.get("price"))
        if price == "invalid" or (price is not None and Decimal(price) < 0):
            errors.append(err(["variants", i, "price"], "Price must be a non-negative amount", "INVALID"))
        if creating:
            chosen = {o.get("optionName"): o.get("name") for o in data.get("optionValues") or ()}
            if set(chosen) != set(names):
                errors.append(
                    err(
                        ["variants", i, "optionValues"],
                        f"Variant must have a value for each of {names}",
                        "INVALID_INPUT",
                    )
                )
                continue
            for name, value in chosen.items():
                option = next(o for o in product["options"] if o["name"] == name)
                if value not in option["values"]:
                    option["values"].append(value)  # Shopify adds new option values on variant creation
            combo = tuple(chosen[n] for n in names)
            if combo in combos:
                errors.append(err(["variants", i], "The variant already exists", "VARIANT_ALREADY_EXISTS"))
            combos.add(combo)
        elif data.get("id") not in ids:
            errors.append(
                err(["variants", i, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")
            )
    return errors


def variants_bulk_create(
    _root: Any,
    info: Info,
    productId: str,
    variants: list[dict[str, Any]],
    strategy: str | None = None,
    media: Any = None,
) -> dict[str, Any]:
    shop = state(info)
    product = shop.products.get(number(productId))
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [err(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")],
        }
    standalone = list(product["_variants"]) if strategy == "REMOVE_STANDALONE_VARIANT" else []
    if len(product["_variants"]) - len(standalone) + len(variants) > MAX_VARIANTS:
        return {
            "product": product,
            "productVariants": None,
            "userErrors": [err(["variants"], "Too many variants", "TOO_MANY_VARIANTS")],
        }
    errors = _variant_errors(product, variants, creating=True)
    if errors:
        return {"product": product, "productVariants": None, "userErrors": errors}
    for old in standalone:
        shop.remove_variant(old)
    names = [o["name"] for o in product["options"]]
    created = []
    for data in variants:
        chosen = {o["optionName"]: o["name"] for o in data["optionValues"]}
        variant = shop.add_variant(product, [{"name": n, "value": chosen[n]} for n in names], tracked=False)
        _apply_variant(shop, variant, data)
        created.append(variant)
    for option in product["options"]:  # values no variant uses any more disappear with the standalone variant
        used = {
            sel["value"] for v in product["_variants"] for sel in v["selectedOptions"] if sel["name"] == option["name"]
        }
        option["values"] = [value for value in option["values"] if value in used]
    shop.touch(product)
    return {"product": product, "productVariants": created, "userErrors": []}


def variants_bulk_update(
    _root: Any,
    info: Info,
    productId: str,
    variants: list[dict[str, Any]],
    allowPartialUpdates: bool | None = None,
    media: Any = None,
) -> dict[str, Any]:
    shop = state(info)
    product = shop.products.get(number(productId))
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [err(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")],
        }
    errors = _variant_errors(product, variants, creating=False)
    if errors:
        return {"product": product, "productVariants": None, "userErrors": errors}
    by_id = {v["id"]: v for v in product["_variants"]}
    for data in variants:
        _apply_variant(shop, by_id[data["id"]], data)
    shop.touch(product)
    _webhook(shop, "products/update", product, title=product["title"])
    return {"product": product, "productVariants": [by_id[d["id"]] for d in variants], "userErrors": []}


# --- inventory --------------------------------------------------------------------------------


def inventory_set(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    shop = state(info)
    modern = info.context["version"] >= "2026-04"
    errors = []
    if input["name"] not in ("available", "on_hand"):
        errors.append(err(["input", "name"], "The quantity name must be available or on_hand", "INVALID_NAME"))
    if modern and "ignoreCompareQuantity" in input:
        errors.append(
            err(["input", "ignoreCompareQuantity"], "ignoreCompareQuantity was removed in 2026-04", "INVALID")
        )
    for i, q in enumerate(input["quantities"]):
        item = shop.items.get(number(q["inventoryItemId"]))
        if item is None:
            errors.append(
                err(
                    ["input", "quantities", i, "inventoryItemId"],
                    "The inventory item could not be found",
                    "INVALID_INVENTORY_ITEM",
                )
            )
            continue
        if q["locationId"] != shop.location["id"]:
            errors.append(
                err(["input", "quantities", i, "locationId"], "The location could not be found", "INVALID_LOCATION")
            )
            continue
        current = item["_levels"].get(q["locationId"], {}).get("available", 0)
        if modern:
            if "changeFromQuantity" not in q or "compareQuantity" in q:
                errors.append(
                    err(["input", "quantities", i, "changeFromQuantity"], "changeFromQuantity is required", "INVALID")
                )
            elif q["changeFromQuantity"] is not None and q["changeFromQuantity"] != current:
                errors.append(
                    err(
                        ["input", "quantities", i, "changeFromQuantity"],
                        "The quantity changed meanwhile",
                        "COMPARE_QUANTITY_STALE",
                    )
                )
        elif not input.get("ignoreCompareQuantity"):
            if q.get("compareQuantity") is None:
                errors.append(
                    err(["input", "quantities", i, "compareQuantity"], "compareQuantity is required", "INVALID")
                )
            elif q["compareQuantity"] != current:
                errors.append(
                    err(
                        ["input", "quantities", i, "compareQuantity"],
                        "The quantity changed meanwhile",
                        "COMPARE_QUANTITY_STALE",
                    )
                )
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    for q in input["quantities"]:
        item = shop.items[number(q["inventoryItemId"])]
        item["_levels"][q["locationId"]] = {"available": q["quantity"], "updatedAt": shop.now()}
        item["tracked"] = True
        shop.emit(
            "inventory_levels/update",
            {
                "inventory_item_id": number(item["id"]),
                "location_id": number(q["locationId"]),
                "available": q["quantity"],
            },
        )
    group = {"id": f"{GID}InventoryAdjustmentGroup/{shop.new_id()}", "createdAt": shop.now(), "reason": input["reason"]}
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


# --- orders -----------------------------------------------------------------------------------


def _order(shop: ShopState, order_id: str) -> dict[str, Any] | None:
    return shop.orders.get(number(order_id)) if "/Order/" in order_id else None


def fulfillment_create(
    _root: Any, info: Info, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    shop = state(info)
    ids = [f["fulfillmentOrderId"] for f in fulfillment["lineItemsByFulfillmentOrder"]]
    owner = next((o for o in shop.orders.values() if any(fo["id"] in ids for fo in o["_fulfillment_orders"])), None)
    if owner is None or owner["cancelledAt"]:
        return {
            "fulfillment": None,
            "userErrors": [err(["fulfillment", "lineItemsByFulfillmentOrder"], "Fulfillment order does not exist.")],
        }
    targets = [fo for fo in owner["_fulfillment_orders"] if fo["id"] in ids]
    if any(fo["status"] not in ("OPEN", "IN_PROGRESS") for fo in targets):
        return {
            "fulfillment": None,
            "userErrors": [err(["fulfillment"], "Fulfillment order is not in a fulfillable state.")],
        }
    for fo in targets:
        fo["status"] = "CLOSED"
    tracking = fulfillment.get("trackingInfo")
    created = {
        "id": f"{GID}Fulfillment/{shop.new_id()}",
        "status": "SUCCESS",
        "_tracking": [
            {"number": tracking.get("number"), "company": tracking.get("company"), "url": tracking.get("url")}
        ]
        if tracking
        else [],
    }
    owner["_fulfillments"].append(created)
    owner["_fulfillment"] = (
        "FULFILLED" if all(fo["status"] == "CLOSED" for fo in owner["_fulfillment_orders"]) else "PARTIALLY_FULFILLED"
    )
    shop.touch(owner)
    _webhook(shop, "orders/fulfilled", owner)
    return {"fulfillment": created, "userErrors": []}


def order_cancel(
    _root: Any,
    info: Info,
    orderId: str,
    refund: bool,
    restock: bool,
    reason: str,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> dict[str, Any]:
    shop = state(info)
    order = _order(shop, orderId)
    if order is None:
        return {
            "job": None,
            "orderCancelUserErrors": [err(["orderId"], "Order does not exist", "NOT_FOUND")],
            "userErrors": [],
        }
    if order["cancelledAt"]:
        return {
            "job": None,
            "orderCancelUserErrors": [err(["orderId"], "Order has already been cancelled", "INVALID")],
            "userErrors": [],
        }
    order["cancelledAt"] = shop.now()
    for fo in order["_fulfillment_orders"]:
        if fo["status"] in ("OPEN", "IN_PROGRESS"):
            fo["status"] = "CANCELLED"
    shop.touch(order)
    _webhook(shop, "orders/cancelled", order)
    return {"job": {"id": f"{GID}Job/{shop.new_id()}", "done": True}, "orderCancelUserErrors": [], "userErrors": []}


def order_close(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    shop = state(info)
    order = _order(shop, input["id"])
    if order is None:
        return {"order": None, "userErrors": [err(["id"], "Order does not exist")]}
    order["closed"] = True
    shop.touch(order)
    _webhook(shop, "orders/updated", order)
    return {"order": order, "userErrors": []}


def order_mark_paid(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    shop = state(info)
    order = _order(shop, input["id"])
    if order is None:
        return {"order": None, "userErrors": [err(["id"], "Order does not exist")]}
    if order["_financial"] not in ("PENDING", "AUTHORIZED", "PARTIALLY_PAID"):
        return {"order": None, "userErrors": [err(["id"], "Order cannot be marked as paid.")]}
    order["_financial"] = "PAID"
    order["_transactions"].append(shop.sale(order["_total"]))
    shop.touch(order)
    _webhook(shop, "orders/paid", order)
    return {"order": order, "userErrors": []}


def refund_create(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    shop = state(info)
    order = _order(shop, input["orderId"])
    if order is None:
        return {"refund": None, "order": None, "userErrors": [err(["orderId"], "Order does not exist")]}
    lines = {line["id"]: line for line in order["_lines"]}
    errors = []
    for i, item in enumerate(input.get("refundLineItems") or ()):
        line = lines.get(item["lineItemId"])
        if line is None:
            errors.append(err(["refundLineItems", i, "lineItemId"], "Line item does not exist"))
        elif item["quantity"] > line["quantity"] - line["_refunded"]:
            errors.append(
                err(["refundLineItems", i, "quantity"], "Quantity cannot refund more items than were purchased")
            )
    sales = {t["id"] for t in order["_transactions"] if t["kind"] == "SALE"}
    total = Decimal("0")
    for i, tx in enumerate(input.get("transactions") or ()):
        if tx.get("parentId") not in sales:
            errors.append(err(["transactions", i, "parentId"], "Parent transaction does not exist"))
        total += Decimal(str(tx["amount"]))
    if total > refundable(order):
        errors.append(err(["transactions"], "Refund amount exceeds the refundable amount"))
    if errors:
        return {"refund": None, "order": order, "userErrors": errors}
    refund_lines = []
    for item in input.get("refundLineItems") or ():
        line = lines[item["lineItemId"]]
        line["_refunded"] += item["quantity"]
        refund_lines.append({"quantity": item["quantity"], "lineItem": line})
    order["_refunded"] += total
    if total > 0:
        order["_financial"] = "REFUNDED" if refundable(order) == 0 else "PARTIALLY_REFUNDED"
    refund: dict[str, Any] = {
        "id": f"{GID}Refund/{shop.new_id()}",
        "createdAt": shop.now(),
        "note": input.get("note"),
        "totalRefundedSet": {
            "shopMoney": {"amount": format(total, "f"), "currencyCode": shop.currency},
            "presentmentMoney": {"amount": format(total, "f"), "currencyCode": shop.currency},
        },
        "_lines": refund_lines,
    }
    order["_refunds"].append(refund)
    shop.touch(order)
    shop.emit(
        "refunds/create",
        {"id": number(refund["id"]), "admin_graphql_api_id": refund["id"], "order_id": number(order["id"])},
    )
    return {"refund": refund, "order": order, "userErrors": []}


# --- webhooks ---------------------------------------------------------------------------------


def webhook_create(_root: Any, info: Info, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    shop = state(info)
    url = webhookSubscription.get("callbackUrl") or ""
    if not url.startswith("https://"):
        return {
            "webhookSubscription": None,
            "userErrors": [err(["webhookSubscription", "callbackUrl"], "Address is invalid")],
        }
    if any(s["topic"] == topic and s["callbackUrl"] == url for s in shop.webhooks.values()):
        return {
            "webhookSubscription": None,
            "userErrors": [
                err(["webhookSubscription", "callbackUrl"], "Address for this topic has already been taken")
            ],
        }
    sid = shop.new_id()
    sub = {
        "__typename": "WebhookSubscription",
        "id": f"{GID}WebhookSubscription/{sid}",
        "topic": topic,
        "createdAt": shop.now(),
        "callbackUrl": url,
    }
    shop.webhooks[sid] = sub
    return {"webhookSubscription": sub, "userErrors": []}


def webhook_delete(_root: Any, info: Info, id: str) -> dict[str, Any]:
    shop = state(info)
    if shop.webhooks.pop(number(id), None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [err(["id"], "Webhook subscription does not exist")],
        }
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}
