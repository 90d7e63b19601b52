"""Orders and refunds: Shopify nodes → Order / Refund, one status from Shopify's several."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fusionhub.plugin import Address, Order, OrderLine, OrderStatus, Refund, Tracking
from fusionhub.plugin import params as p
from fusionhub_shopify.ids import gid
from fusionhub_shopify.mapping.money import amount, shop_money

_FINANCIAL = {
    "REFUNDED": OrderStatus.REFUNDED,
    "PARTIALLY_REFUNDED": OrderStatus.PARTIALLY_REFUNDED,
}
_FULFILLMENT = {
    "FULFILLED": OrderStatus.FULFILLED,
    "PARTIALLY_FULFILLED": OrderStatus.PARTIALLY_FULFILLED,
}
# fusionhub's status filter → Shopify order search syntax
STATUS_QUERY = {
    "pending": "financial_status:pending",
    "paid": "financial_status:paid",
    "fulfilled": "fulfillment_status:shipped",
    "shipped": "fulfillment_status:shipped",
    "partially_fulfilled": "fulfillment_status:partial",
    "cancelled": "status:cancelled",
    "closed": "status:closed",
    "refunded": "financial_status:refunded",
    "partially_refunded": "financial_status:partially_refunded",
    "open": "status:open",
}


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def status_of(node: dict[str, Any]) -> OrderStatus:
    """Cancelled, refunded, closed, fulfilled, paid, pending: the first that holds."""
    if node.get("cancelledAt"):
        return OrderStatus.CANCELLED
    financial = node.get("displayFinancialStatus") or ""
    if financial in _FINANCIAL:
        return _FINANCIAL[financial]
    if node.get("closed"):
        return OrderStatus.CLOSED
    fulfillment = node.get("displayFulfillmentStatus") or ""
    if fulfillment in _FULFILLMENT:
        return _FULFILLMENT[fulfillment]
    return OrderStatus.PAID if financial == "PAID" else OrderStatus.PENDING


def line_from(node: dict[str, Any]) -> OrderLine:
    return OrderLine(
        id=node["id"],
        product_id=(node.get("product") or {}).get("id"),
        variant_id=(node.get("variant") or {}).get("id"),
        sku=node.get("sku") or None,
        title=node.get("title"),
        quantity=int(node.get("quantity") or 0),
        unit_price=shop_money(node.get("originalUnitPriceSet")),
    )


# MailingAddress fields for ours (name, line1, line2, city, region, postal code, country).
ADDRESS_KEYS = ("name", "address1", "address2", "city", "provinceCode", "zip", "countryCodeV2")


def _address(node: dict[str, Any] | None) -> Address | None:
    if not node:
        return None
    return Address.read(node, ADDRESS_KEYS)


def order_from(node: dict[str, Any], lines: list[dict[str, Any]]) -> Order:
    tracking = [
        Tracking(number=t["number"], carrier=t.get("company"), url=t.get("url"))
        for f in node.get("fulfillments") or ()
        for t in f.get("trackingInfo") or ()
        if t.get("number")
    ]
    return Order(
        id=node["id"],
        platform="shopify",
        name=node.get("name"),
        status=status_of(node),
        total=shop_money(node.get("totalPriceSet")),
        lines=[line_from(line) for line in lines],
        customer_email=node.get("email"),
        shipping_address=_address(node.get("shippingAddress")),
        tracking=tracking,
        created_at=_date(node.get("createdAt")),
        updated_at=_date(node.get("updatedAt")),
    )


def refund_from(node: dict[str, Any], order_id: str) -> Refund:
    lines = [
        line_from({**item["lineItem"], "quantity": item["quantity"]})
        for item in (node.get("refundLineItems") or {}).get("nodes") or ()
    ]
    return Refund(
        id=node["id"],
        order_id=order_id,
        amount=shop_money(node.get("totalRefundedSet")),
        lines=lines,
        note=node.get("note"),
        created_at=_date(node.get("createdAt")),
    )


def search_query(params: p.ListOrdersParams) -> str | None:
    """The list filters in Shopify's order search syntax."""
    terms = []
    if params.status:
        terms.append(STATUS_QUERY.get(params.status.lower(), f"status:{params.status.lower()}"))
    if params.created_since:
        terms.append(f"created_at:>='{params.created_since.isoformat()}'")
    if params.updated_since:
        terms.append(f"updated_at:>='{params.updated_since.isoformat()}'")
    return " AND ".join(terms) or None


def refund_lines(params: p.ProcessRefundParams) -> list[dict[str, Any]]:
    """RefundLineItemInput for the lines the caller names (none restocked)."""
    return [
        {"lineItemId": gid("LineItem", line.line_id), "quantity": line.quantity, "restockType": "NO_RESTOCK"}
        for line in params.lines
    ]


def refund_input(
    order_id: str, params: p.ProcessRefundParams, lines: list[dict[str, Any]], suggested: dict[str, Any]
) -> dict[str, Any]:
    """RefundInput from Shopify's suggestion: its transactions (the first gateway for a custom amount);
    nothing named, everything suggested with shipping."""
    transactions = [_refund_transaction(order_id, tx, None) for tx in suggested.get("suggestedTransactions") or ()]
    if params.amount is not None:
        transactions = [_refund_transaction(order_id, suggested["suggestedTransactions"][0], amount(params.amount))]
    out: dict[str, Any] = {
        "orderId": order_id,
        "notify": params.notify_customer,
        "note": params.reason,
        "refundLineItems": lines,
        "transactions": transactions,
    }
    if params.amount is None and not lines:
        out["shipping"] = {"fullRefund": True}
        out["refundLineItems"] = [
            {"lineItemId": item["lineItem"]["id"], "quantity": item["quantity"], "restockType": "NO_RESTOCK"}
            for item in suggested.get("refundLineItems") or ()
        ]
    return out


def _refund_transaction(order_id: str, suggested: dict[str, Any], value: str | None) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "parentId": (suggested.get("parentTransaction") or {}).get("id"),
        "gateway": suggested.get("gateway"),
        "kind": "REFUND",
        "amount": value if value is not None else suggested["amountSet"]["shopMoney"]["amount"],
    }


CANCEL_REASONS = {"customer", "declined", "fraud", "inventory", "staff", "other"}  # OrderCancelReason, lower-case


def cancel_input(order_id: str, params: p.UpdateOrderStatusParams) -> dict[str, Any]:
    """orderCancel's arguments: a reason Shopify knows, else OTHER with the caller's words as staff note."""
    reason = (params.reason or "other").lower()
    return {
        "orderId": order_id,
        "reason": reason.upper() if reason in CANCEL_REASONS else "OTHER",
        "refund": False,  # money goes back through process_refund, explicitly
        "restock": True,
        "notifyCustomer": params.notify_customer,
        "staffNote": None if reason in CANCEL_REASONS else params.reason,
    }


def fulfillment_input(fulfillment_orders: list[str], params: p.UpdateOrderStatusParams) -> dict[str, Any]:
    """FulfillmentInput: every open fulfillment order at once, with the tracking given."""
    out: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fid} for fid in fulfillment_orders],
        "notifyCustomer": params.notify_customer,
    }
    if params.tracking is not None:
        out["trackingInfo"] = {
            "number": params.tracking.number,
            "company": params.tracking.carrier,
            "url": params.tracking.url,
        }
    return out
