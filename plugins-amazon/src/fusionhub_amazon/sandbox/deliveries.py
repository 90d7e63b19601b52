"""Notification deliveries as Amazon sends them (SQS message bodies; EventBridge events), for tests and demos.

Envelope and payloads after https://developer-docs.amazon.com/sp-api/docs/notification-type-values
(one example per type there): `NotificationVersion`, `NotificationType`, `PayloadVersion`,
`EventTime`, `Payload`, `NotificationMetadata` {ApplicationId, SubscriptionId, PublishTime,
NotificationId}.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fusionhub_amazon.sandbox.world import iso


def payload(kind: str, seller_id: str, marketplace: str, resource: str, **extra: Any) -> dict[str, Any]:
    if kind == "ORDER_CHANGE":
        status = extra.get("order_status", "Unshipped")
        change = {
            "NotificationLevel": "OrderLevel",
            "SellerId": seller_id,
            "AmazonOrderId": resource,
            "OrderChangeType": "OrderStatusChange",
            "OrderChangeTrigger": {"TimeOfOrderChange": extra.get("at", ""), "ChangeReason": "OrderStatusChange"},
            "Summary": {"MarketplaceId": marketplace, "OrderStatus": status, "FulfillmentType": "MFN"},
        }
        return {"OrderChangeNotification": change}
    if kind == "FEED_PROCESSING_FINISHED":
        finished = {
            "sellerId": seller_id,
            "feedId": resource,
            "feedType": "JSON_LISTINGS_FEED",
            "processingStatus": extra.get("processing_status", "DONE"),
            "resultFeedDocumentId": extra.get("result_document_id", ""),
        }
        return {"feedProcessingFinishedNotification": finished}
    if kind == "LISTINGS_ITEM_MFN_QUANTITY_CHANGE":
        return {
            "SellerId": seller_id,
            "FulfillmentChannelCode": "DEFAULT",
            "Sku": resource,
            "Quantity": extra.get("quantity", 0),
        }
    if kind == "LISTINGS_ITEM_STATUS_CHANGE":
        return {
            "SellerId": seller_id,
            "MarketplaceId": marketplace,
            "Sku": resource,
            "Status": extra.get("status", ["BUYABLE"]),
        }
    if kind == "FBA_INVENTORY_AVAILABILITY_CHANGES":
        return {"SellerId": seller_id, "FNSKU": extra.get("fn_sku", "X000000000"), "SKU": resource}
    raise ValueError(f"no example payload for {kind}")


def envelope(kind: str, body: dict[str, Any], at: float, application_id: str) -> dict[str, Any]:
    return {
        "NotificationVersion": "1.0",
        "NotificationType": kind,
        "PayloadVersion": "2020-09-04" if kind == "FEED_PROCESSING_FINISHED" else "1.0",
        "EventTime": iso(at),
        "Payload": body,
        "NotificationMetadata": {
            "ApplicationId": application_id,
            "SubscriptionId": str(uuid.uuid4()),
            "PublishTime": iso(at),
            "NotificationId": str(uuid.uuid4()),
        },
    }


def as_eventbridge(note: dict[str, Any], account: str = "123456789012") -> bytes:
    """The same notification as an EventBridge event (its `detail`)."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": note["NotificationType"],
        "source": "aws.partner/sellingpartnerapi.amazon",
        "account": account,
        "time": note["EventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": note,
    }
    return json.dumps(event).encode()
