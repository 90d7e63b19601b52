"""The fake SP-API's operations: each handler reads a request and answers in Amazon's shapes.

Handlers take (sandbox, request, path ids) and return the response; `HANDLERS` maps operation
ids (endpoints.py) to them. Input errors are 400 `InvalidInput`, unknown ids 404 `NotFound`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from fusionhub.plugin import Reply
from fusionhub_amazon.sandbox.edits import apply_patches, check_attributes, submission
from fusionhub_amazon.sandbox.world import Listing, iso, parse_iso

if TYPE_CHECKING:
    from fusionhub_amazon.sandbox import AmazonSandbox

Handler = Callable[["AmazonSandbox", httpx.Request, dict[str, str]], httpx.Response]
LISTING_DATA = {
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
}


def reply(status: int, body: Any = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status)
    return httpx.Response(status, json=body)


def error(status: int, code: str, message: str) -> httpx.Response:
    return reply(status, {"errors": [{"code": code, "message": message, "details": ""}]})


def refuse(message: str) -> Reply:
    return Reply(error(400, "InvalidInput", message))


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def csv(request: httpx.Request, name: str) -> list[str]:
    value = request.url.params.get(name)
    return [v for v in value.split(",") if v] if value else []


def body(request: httpx.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"null")
    except ValueError:
        raise refuse("The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise refuse("The request body must be a JSON object.")
    return data


def marketplace(sandbox: AmazonSandbox, request: httpx.Request, name: str = "marketplaceIds") -> str:
    ids = csv(request, name)
    if not ids:
        raise refuse(f"Missing required parameter {name}.")
    if ids[0] != sandbox.world.marketplace:
        raise refuse(f"Invalid marketplace {ids[0]} for this seller.")
    return ids[0]


def seller(sandbox: AmazonSandbox, ids: dict[str, str]) -> None:
    if ids.get("sellerId") != sandbox.world.seller_id:
        raise Reply(error(403, "Unauthorized", "Access to requested resource is denied."))


def token_of(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"at": position}).encode()).decode()


def position_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        at = json.loads(base64.urlsafe_b64decode(token.encode()))["at"]
    except (ValueError, KeyError, TypeError):
        raise refuse("Invalid pagination token.") from None
    if not isinstance(at, int) or at < 0:
        raise refuse("Invalid pagination token.")
    return int(at)


def page_size(request: httpx.Request, name: str, default: int, maximum: int) -> int:
    raw = request.url.params.get(name)
    try:
        size = int(raw) if raw is not None else default
    except ValueError:
        raise refuse(f"{name} must be an integer.") from None
    if not 1 <= size <= maximum:
        raise refuse(f"{name} must be between 1 and {maximum}.")
    return size


# --- Listings Items 2021-08-01 -------------------------------------------------------------


def _included(request: httpx.Request) -> set[str]:
    included = set(csv(request, "includedData")) or {"summaries"}
    if not included <= LISTING_DATA:
        raise refuse(f"Invalid includedData {sorted(included - LISTING_DATA)}.")
    return included


def search_listings_items(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    seller(sandbox, ids)
    market = marketplace(sandbox, request)
    size = page_size(request, "pageSize", 10, 20)
    start = position_of(request.url.params.get("pageToken"))
    listings = sorted(sandbox.world.listings.values(), key=lambda x: x.sku)
    included = _included(request)
    page = listings[start : start + size]
    result: dict[str, Any] = {"numberOfResults": len(listings), "items": [x.view(market, included) for x in page]}
    if start + size < len(listings):
        result["pagination"] = {"nextToken": token_of(start + size)}
    return reply(200, result)


def _listing(sandbox: AmazonSandbox, ids: dict[str, str], market: str) -> Listing:
    found = sandbox.world.listings.get(ids["sku"])
    if found is None:
        raise Reply(error(404, "NOT_FOUND", f"SKU '{ids['sku']}' not found in marketplace {market}"))
    return found


def get_listings_item(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    seller(sandbox, ids)
    market = marketplace(sandbox, request)
    return reply(200, _listing(sandbox, ids, market).view(market, _included(request)))


def _preview(request: httpx.Request) -> bool:
    mode: str | None = request.url.params.get("mode")
    if mode not in (None, "VALIDATION_PREVIEW"):
        raise refuse(f"Invalid mode {mode}.")
    return mode == "VALIDATION_PREVIEW"


def put_listings_item(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    seller(sandbox, ids)
    marketplace(sandbox, request)
    data = body(request)
    kind, attributes = data.get("productType"), data.get("attributes")
    if not isinstance(kind, str) or not isinstance(attributes, dict):
        raise refuse("productType and attributes are required.")
    preview = _preview(request)
    issues = check_attributes(attributes, full=data.get("requirements", "LISTING") != "LISTING_OFFER_ONLY")
    answer = submission(ids["sku"], issues, sandbox.world, preview=preview)
    if answer["status"] == "ACCEPTED":
        now = sandbox.clock.now()
        old = sandbox.world.listings.get(ids["sku"])
        asin = old.asin if old else f"B0{sandbox.world.next_id():08d}"
        sandbox.world.listings[ids["sku"]] = Listing(
            ids["sku"], kind, attributes, old.created if old else now, now, asin
        )
    return reply(200, answer)


def patch_listings_item(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    seller(sandbox, ids)
    market = marketplace(sandbox, request)
    data = body(request)
    kind, patches = data.get("productType"), data.get("patches")
    if not isinstance(kind, str) or not isinstance(patches, list) or not patches:
        raise refuse("productType and patches are required.")
    listing = _listing(sandbox, ids, market)
    attributes, issues = apply_patches(listing, kind, patches)
    answer = submission(ids["sku"], issues, sandbox.world, preview=_preview(request))
    if answer["status"] == "ACCEPTED":
        listing.attributes, listing.updated = attributes, sandbox.clock.now()
    return reply(200, answer)


def delete_listings_item(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    seller(sandbox, ids)
    market = marketplace(sandbox, request)
    _listing(sandbox, ids, market)
    del sandbox.world.listings[ids["sku"]]
    return reply(200, submission(ids["sku"], [], sandbox.world))


# --- FBA inventory v1 ----------------------------------------------------------------------


def get_inventory_summaries(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    params = query(request)
    if params.get("granularityType") != "Marketplace" or params.get("granularityId") != sandbox.world.marketplace:
        raise refuse("granularityType must be Marketplace and granularityId the marketplace.")
    market = marketplace(sandbox, request)
    skus = csv(request, "sellerSkus")
    if len(skus) > 50:
        raise refuse("sellerSkus takes at most 50 SKUs.")
    summaries = [s for sku, s in sorted(sandbox.world.fba.items()) if not skus or sku in skus]
    start = position_of(params.get("nextToken"))
    page = summaries[start : start + 50]
    result: dict[str, Any] = {
        "payload": {
            "granularity": {"granularityType": "Marketplace", "granularityId": market},
            "inventorySummaries": page,
        }
    }
    if start + 50 < len(summaries):
        result["pagination"] = {"nextToken": token_of(start + 50)}
    return reply(200, result)


# --- Orders 2026-01-01 and v0 confirmShipment ----------------------------------------------


def search_orders(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    params = query(request)
    created, updated = params.get("createdAfter"), params.get("lastUpdatedAfter")
    if (created is None) == (updated is None):
        raise refuse("Exactly one of createdAfter and lastUpdatedAfter is required.")
    if created is not None and ("lastUpdatedBefore" in params):
        raise refuse("createdAfter excludes lastUpdatedBefore.")
    market = marketplace(sandbox, request)
    size = page_size(request, "maxResultsPerPage", 100, 100)
    try:
        since = parse_iso(created or updated or "")
    except ValueError:
        raise refuse("createdAfter / lastUpdatedAfter must be ISO 8601.") from None
    field = "createdTime" if created is not None else "lastUpdatedTime"
    statuses = set(csv(request, "fulfillmentStatuses"))
    orders = [
        o
        for o in sorted(sandbox.world.orders.values(), key=lambda o: (o["createdTime"], o["orderId"]))
        if parse_iso(o[field]) >= since
        and o["salesChannel"]["marketplaceId"] == market
        and (not statuses or o["fulfillment"]["fulfillmentStatus"] in statuses)
    ]
    start = position_of(params.get("paginationToken"))
    result: dict[str, Any] = {"orders": orders[start : start + size], "createdBefore": iso(sandbox.clock.now() - 120)}
    if start + size < len(orders):
        result["pagination"] = {"nextToken": token_of(start + size)}
    return reply(200, result)


def _order(sandbox: AmazonSandbox, ids: dict[str, str]) -> dict[str, Any]:
    found = sandbox.world.orders.get(ids["orderId"])
    if found is None:
        raise Reply(error(404, "NotFound", f"Order {ids['orderId']} not found."))
    return found


def get_order(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, {"order": _order(sandbox, ids)})


def confirm_shipment(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    order = _order(sandbox, ids)
    data = body(request)
    package = data.get("packageDetail") or {}
    missing = [
        k
        for k in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems")
        if not package.get(k)
    ]
    if data.get("marketplaceId") != order["salesChannel"]["marketplaceId"] or missing:
        raise refuse(f"marketplaceId and packageDetail {missing} are required.")
    fulfillment = order["fulfillment"]
    if fulfillment["fulfilledBy"] != "MERCHANT" or fulfillment["fulfillmentStatus"] not in (
        "UNSHIPPED",
        "PARTIALLY_SHIPPED",
    ):
        raise refuse(f"Order {ids['orderId']} cannot be confirmed: it is {fulfillment['fulfillmentStatus']}.")
    known = {i["orderItemId"] for i in order["orderItems"]}
    if not {i.get("orderItemId") for i in package["orderItems"]} <= known:
        raise refuse("packageDetail.orderItems names items of another order.")
    now = sandbox.clock.now()
    fulfillment["fulfillmentStatus"] = "SHIPPED"
    order["packages"].append(
        {
            "packageReferenceId": str(package["packageReferenceId"]),
            "createdTime": iso(now),
            "carrier": package["carrierCode"],
            "trackingNumber": package["trackingNumber"],
            "shipTime": package["shipDate"],
        }
    )
    sandbox.world.touch_order(order, now)
    return reply(204)


# --- Feeds 2021-06-30 ----------------------------------------------------------------------


def create_feed_document(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    content_type = body(request).get("contentType")
    if not isinstance(content_type, str) or not content_type:
        raise refuse("contentType is required.")
    document = sandbox.new_document(content_type)
    return reply(201, {"feedDocumentId": document.document_id, "url": sandbox.document_url(document.document_id)})


def create_feed(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    data = body(request)
    if data.get("feedType") != "JSON_LISTINGS_FEED":
        raise refuse("The sandbox processes JSON_LISTINGS_FEED only.")
    if data.get("marketplaceIds") != [sandbox.world.marketplace]:
        raise refuse("marketplaceIds must be the seller's marketplace.")
    document = sandbox.world.documents.get(str(data.get("inputFeedDocumentId")))
    if document is None or document.content is None:
        raise refuse("inputFeedDocumentId names no uploaded feed document.")
    return reply(202, {"feedId": sandbox.submit_feed(document, data["marketplaceIds"]).feed_id})


def get_feed(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    feed = sandbox.world.feeds.get(ids["feedId"])
    if feed is None:
        raise Reply(error(404, "NotFound", f"Feed {ids['feedId']} not found."))
    return reply(200, feed.view())


def get_feed_document(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    document = sandbox.world.documents.get(ids["feedDocumentId"])
    if document is None:
        raise Reply(error(404, "NotFound", f"Feed document {ids['feedDocumentId']} not found."))
    answer: dict[str, Any] = {"feedDocumentId": document.document_id, "url": sandbox.document_url(document.document_id)}
    if document.gzip:
        answer["compressionAlgorithm"] = "GZIP"
    return reply(200, answer)


# --- Notifications v1 ----------------------------------------------------------------------


def get_subscription(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    found = sandbox.world.subscriptions.get(ids["notificationType"])
    if found is None:
        raise Reply(error(404, "NotFound", f"No subscription for {ids['notificationType']}."))
    return reply(200, {"payload": found})


def create_subscription(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    data = body(request)
    if data.get("destinationId") not in sandbox.world.destinations or not data.get("payloadVersion"):
        raise refuse("payloadVersion and a known destinationId are required.")
    if ids["notificationType"] in sandbox.world.subscriptions:
        raise Reply(error(409, "Conflict", "A subscription for this notification type already exists."))
    made = {
        "subscriptionId": f"subscription-{sandbox.world.next_id():08d}",
        "payloadVersion": data["payloadVersion"],
        "destinationId": data["destinationId"],
    }
    sandbox.world.subscriptions[ids["notificationType"]] = made
    return reply(200, {"payload": made})


def delete_subscription_by_id(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    found = sandbox.world.subscriptions.get(ids["notificationType"])
    if found is None or found["subscriptionId"] != ids["subscriptionId"]:
        raise Reply(error(404, "NotFound", "No such subscription."))
    del sandbox.world.subscriptions[ids["notificationType"]]
    return reply(200, {})


def get_destinations(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, {"payload": list(sandbox.world.destinations.values())})


def create_destination(sandbox: AmazonSandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    data = body(request)
    spec, name = data.get("resourceSpecification"), data.get("name")
    if (
        not isinstance(name, str)
        or not isinstance(spec, dict)
        or len(spec) != 1
        or not ({"sqs", "eventBridge"} & set(spec))
    ):
        raise refuse("name and one resourceSpecification (sqs or eventBridge) are required.")
    resource = (
        spec
        if "sqs" in spec
        else {"eventBridge": {**spec["eventBridge"], "name": f"aws.partner/sellingpartnerapi.amazon/{name}"}}
    )
    if any(d["resource"] == resource for d in sandbox.world.destinations.values()):
        raise Reply(error(409, "Conflict", "A destination for this resource already exists."))
    destination_id = f"destination-{sandbox.world.next_id():08d}"
    made = {"destinationId": destination_id, "name": name, "resource": resource}
    sandbox.world.destinations[destination_id] = made
    return reply(200, {"payload": made})


HANDLERS: dict[str, Handler] = {
    "searchListingsItems": search_listings_items,
    "getListingsItem": get_listings_item,
    "putListingsItem": put_listings_item,
    "patchListingsItem": patch_listings_item,
    "deleteListingsItem": delete_listings_item,
    "getInventorySummaries": get_inventory_summaries,
    "searchOrders": search_orders,
    "getOrder": get_order,
    "confirmShipment": confirm_shipment,
    "createFeedDocument": create_feed_document,
    "createFeed": create_feed,
    "getFeed": get_feed,
    "getFeedDocument": get_feed_document,
    "getSubscription": get_subscription,
    "createSubscription": create_subscription,
    "deleteSubscriptionById": delete_subscription_by_id,
    "getDestinations": get_destinations,
    "createDestination": create_destination,
}
