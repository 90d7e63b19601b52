"""Params for each capability that succeed against the sandbox's current state."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import Capability
from fusionhub_shopify.sandbox.state import ShopState


def _open_order(state: ShopState) -> dict[str, Any] | None:
    return next(
        (
            o
            for o in state.orders.values()
            if not o["cancelledAt"] and any(f["status"] == "OPEN" for f in o["_fulfillment_orders"])
        ),
        None,
    )


def _refundable_line(state: ShopState) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for order in state.orders.values():
        if order["_financial"] in ("PAID", "PARTIALLY_REFUNDED") and not order["cancelledAt"]:
            for line in order["_lines"]:
                if line["quantity"] > line["_refunded"]:
                    return order, line
    return None


def sample_params(state: ShopState, capability: Capability) -> dict[str, Any] | None:
    products = list(state.products.values())
    product = products[0] if products else None
    variant = product["_variants"][0] if product and product["_variants"] else None
    C = Capability
    if capability is C.LIST_PRODUCTS:
        return {"limit": 10}
    if capability is C.LIST_ORDERS:
        return {"limit": 5}
    if capability is C.WEBHOOKS:
        return {"action": "list"}
    if capability is C.BULK_OPERATIONS:
        return {"kind": "export_products"}
    if capability is C.CREATE_PRODUCT:
        return {
            "product": {
                "title": "Sandbox Hoodie",
                "status": "active",
                "options": [{"name": "Size", "values": ["S", "M"]}],
                "variants": [
                    {
                        "sku": "HOODIE-S",
                        "price": {"amount": "45.00", "currency": state.currency},
                        "options": {"Size": "S"},
                    },
                    {
                        "sku": "HOODIE-M",
                        "price": {"amount": "47.00", "currency": state.currency},
                        "options": {"Size": "M"},
                    },
                ],
            }
        }
    if capability in (C.GET_ORDER, C.UPDATE_ORDER_STATUS, C.PROCESS_REFUND):
        return _order_params(state, capability)
    if product is None:
        return None
    if capability is C.GET_PRODUCT:
        return {"product_id": product["id"]}
    if capability is C.UPDATE_PRODUCT:
        return {"product_id": product["id"], "changes": {"title": product["title"] + " (updated)"}}
    if capability is C.DELETE_PRODUCT:
        return {"product_id": products[-1]["id"]}
    if capability is C.BULK_UPDATE:
        return {"items": [{"product_id": p["id"], "changes": {"tags": ["bulk"]}} for p in products[:3]]}
    if capability is C.GET_INVENTORY:
        return {"product_id": product["id"]}
    if variant is None:
        return None
    if capability is C.SYNC_INVENTORY:
        return {"levels": [{"sku": v["sku"], "quantity": 9} for v in product["_variants"] if v["sku"]]}
    return {"target": {"variant_id": variant["id"], "quantity": 7}}


def _order_params(state: ShopState, capability: Capability) -> dict[str, Any] | None:
    if capability is Capability.GET_ORDER:
        first = next(iter(state.orders.values()), None)
        return {"order_id": first["id"]} if first else None
    if capability is Capability.UPDATE_ORDER_STATUS:
        order = _open_order(state)
        return {"order_id": order["id"], "action": "fulfill"} if order else None
    found = _refundable_line(state)
    if found is None:
        return None
    order, line = found
    return {"order_id": order["id"], "lines": [{"line_id": line["id"], "quantity": 1}], "reason": "damaged"}
