"""The fake's Open API v3 operations: one handler per operationId, Etsy's status codes and shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from fusionhub.plugin import Reply, form_fields, multipart_fields
from fusionhub_etsy.sandbox.world import Json

if TYPE_CHECKING:
    from fusionhub_etsy.sandbox import EtsySandbox

Handler = Callable[["EtsySandbox", httpx.Request, dict[str, str]], httpx.Response]
LISTING_STATES = ("active", "inactive", "sold_out", "draft", "expired")
WHO_MADE = ("i_did", "someone_else", "collective")
MAX_IMAGES = 20
CREATE_REQUIRED = ("quantity", "title", "description", "price", "who_made", "when_made", "taxonomy_id")


def reply(status: int, body: Any = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status)
    return httpx.Response(status, json=body)


class Reject(Reply):
    """Etsy's error answer, raised from anywhere in a handler."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(reply(status, {"error": message}))


def one(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[-1] if values else None


def boolean(value: str | None, key: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise Reject(400, f"{key} must be a boolean")


def integer(value: str | None, key: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise Reject(400, f"{key} must be an integer") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise Reject(400, f"{key} is out of range")
    return number


def _shop(sb: EtsySandbox, ids: dict[str, str]) -> None:
    if int(ids["shop_id"]) != sb.world.shop_id:
        raise Reject(403, "You do not have permission to access this shop")


def _listing(sb: EtsySandbox, ids: dict[str, str]) -> Json:
    listing = sb.world.listings.get(int(ids["listing_id"]))
    if listing is None:
        raise Reject(404, f"Listing with id {ids['listing_id']} not found")
    return listing


def _receipt(sb: EtsySandbox, ids: dict[str, str]) -> Json:
    _shop(sb, ids)
    receipt = sb.world.receipts.get(int(ids["receipt_id"]))
    if receipt is None:
        raise Reject(404, f"Receipt with id {ids['receipt_id']} not found")
    return receipt


def _page(items: list[Json], request: httpx.Request, default_limit: int = 25) -> Json:
    q = request.url.params
    limit = integer(q.get("limit"), "limit", 1, 100) or default_limit
    offset = integer(q.get("offset"), "offset", 0) or 0
    return {"count": len(items), "results": items[offset : offset + limit]}


def _descending(request: httpx.Request) -> bool:
    return request.url.params.get("sort_order", "desc") in ("desc", "descending", "down")


def _includes(request: httpx.Request) -> set[str]:
    return {part for value in request.url.params.get_list("includes") for part in value.split(",") if part}


# --- listings --------------------------------------------------------------------------------


def get_listings_by_shop(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    _shop(sb, ids)
    state = request.url.params.get("state", "active")
    if state not in LISTING_STATES:
        raise Reject(400, "state must be one of " + ", ".join(LISTING_STATES))
    sort_on = request.url.params.get("sort_on", "created")
    key = {
        "created": "created_timestamp",
        "updated": "last_modified_timestamp",
        "price": "price",
        "score": "listing_id",
    }
    if sort_on not in key:
        raise Reject(400, "sort_on is invalid")
    items = [dict(x) for x in sb.world.listings.values() if x["state"] == state]

    def sort_key(listing: Json) -> tuple[float, int]:
        value = listing[key[sort_on]]
        number = value["amount"] / value["divisor"] if isinstance(value, dict) else float(value)
        return (number, listing["listing_id"])

    items.sort(key=sort_key, reverse=_descending(request))
    return reply(200, _page(items, request))


def get_listing(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    listing = dict(_listing(sb, ids))
    includes = _includes(request)
    if "Images" in includes:
        listing["images"] = sb.world.images[listing["listing_id"]]
    if "Inventory" in includes:
        listing["inventory"] = sb.world.inventories[listing["listing_id"]]
    return reply(200, listing)


def create_draft_listing(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    _shop(sb, ids)
    fields = form_fields(request)
    for key in CREATE_REQUIRED:
        if not one(fields, key):
            raise Reject(400, f"Missing required parameter: {key}")
    if one(fields, "who_made") not in WHO_MADE:
        raise Reject(400, "who_made is invalid")
    price = float(one(fields, "price") or 0)
    quantity = integer(one(fields, "quantity"), "quantity", 1, 999)
    if price <= 0:
        raise Reject(400, "price must be greater than 0")
    data: Json = {k: one(fields, k) for k in CREATE_REQUIRED}
    data.update(quantity=quantity, price=one(fields, "price"), tags=fields.get("tags", []))
    data["taxonomy_id"] = integer(one(fields, "taxonomy_id"), "taxonomy_id", 1)
    listing = sb.world.new_listing(sb.now(), data)
    return reply(201, listing)


def update_listing(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    _shop(sb, ids)
    listing = _listing(sb, ids)
    fields = form_fields(request)
    for key in ("title", "description", "who_made", "when_made"):
        if one(fields, key) is not None:
            listing[key] = one(fields, key)
    if "tags" in fields:
        listing["tags"] = [t for t in fields["tags"] if t]
    if one(fields, "taxonomy_id") is not None:
        listing["taxonomy_id"] = integer(one(fields, "taxonomy_id"), "taxonomy_id", 1)
    state = one(fields, "state")
    if state is not None:
        if state not in ("active", "inactive"):
            raise Reject(400, "state must be active or inactive")
        if state == "active" and not sb.world.images[listing["listing_id"]]:
            raise Reject(400, "A listing needs at least one image to become active")
        if state != listing["state"]:
            listing["state"], listing["state_timestamp"] = state, sb.now()
    sb.world.touch_listing(listing["listing_id"], sb.now())
    return reply(200, listing)


def delete_listing(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    listing = _listing(sb, ids)
    if listing["shop_id"] != sb.world.shop_id:
        raise Reject(403, "You do not own this listing")
    if listing["state"] == "active":
        raise Reject(409, "An active listing cannot be deleted: deactivate it first")
    listing_id = listing["listing_id"]
    for table in (sb.world.listings, sb.world.inventories, sb.world.images):
        table.pop(listing_id, None)
    return reply(204)


def get_listing_inventory(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    listing = _listing(sb, ids)
    return reply(200, sb.world.inventories[listing["listing_id"]])


def _check_offering(offering: Any) -> None:
    if not isinstance(offering, dict):
        raise Reject(400, "each offering is an object")
    missing = [k for k in ("price", "quantity", "is_enabled", "readiness_state_id") if k not in offering]
    if missing:
        raise Reject(400, f"offering lacks {', '.join(missing)}")
    if not isinstance(offering["price"], int | float) or offering["price"] <= 0:
        raise Reject(400, "offering price must be a positive number")
    if not isinstance(offering["quantity"], int) or not 0 <= offering["quantity"] <= 999:
        raise Reject(400, "offering quantity must be 0-999")


def update_listing_inventory(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    listing = _listing(sb, ids)
    try:
        body = json.loads(request.content)
    except ValueError:
        raise Reject(400, "the body must be JSON") from None
    products = body.get("products") if isinstance(body, dict) else None
    if not isinstance(products, list) or not products:
        raise Reject(400, "products must be a non-empty array")
    new_products = []
    for product in products:
        offerings = product.get("offerings") if isinstance(product, dict) else None
        if not isinstance(offerings, list) or not offerings:
            raise Reject(400, "each product needs offerings")
        for offering in offerings:
            _check_offering(offering)
        first = offerings[0]
        # A full replace: every product and offering gets a new id, as on Etsy.
        new_products.append(
            sb.world.new_product(
                product.get("sku") or "",
                product.get("property_values", []),
                first["price"],
                first["quantity"],
                first["is_enabled"],
            )
        )
    inventory = {
        "products": new_products,
        "price_on_property": list(body.get("price_on_property") or []),
        "quantity_on_property": list(body.get("quantity_on_property") or []),
        "sku_on_property": list(body.get("sku_on_property") or []),
        "readiness_state_on_property": list(body.get("readiness_state_on_property") or []),
    }
    sb.world.inventories[listing["listing_id"]] = inventory
    sb.world.touch_listing(listing["listing_id"], sb.now())
    return reply(200, inventory)


def upload_listing_image(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    _shop(sb, ids)
    listing = _listing(sb, ids)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Reject(400, "uploadListingImage takes multipart/form-data")
    parts = multipart_fields(request)
    if not parts.get("image"):
        raise Reject(400, "image is required")
    images = sb.world.images[listing["listing_id"]]
    if len(images) >= MAX_IMAGES:
        raise Reject(400, f"A listing can have at most {MAX_IMAGES} images")
    rank = integer(parts["rank"].decode().strip(), "rank", 0) if "rank" in parts else len(images) + 1
    alt = parts.get("alt_text", b"").decode()
    record = sb.world.image(listing["listing_id"], rank or len(images) + 1, alt, sb.now())
    images.append(record)
    sb.world.touch_listing(listing["listing_id"], sb.now())
    return reply(201, record)


# --- receipts --------------------------------------------------------------------------------


def get_shop_receipts(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    _shop(sb, ids)
    q = request.url.params
    items = list(sb.world.receipts.values())
    bounds = {
        "min_created": ("created_timestamp", 1),
        "max_created": ("created_timestamp", -1),
        "min_last_modified": ("updated_timestamp", 1),
        "max_last_modified": ("updated_timestamp", -1),
    }
    for param, (field, sign) in bounds.items():
        bound = integer(q.get(param), param, 0)
        if bound is not None:
            items = [r for r in items if (r[field] - bound) * sign >= 0]
    flags = {"was_paid": "is_paid", "was_shipped": "is_shipped"}
    for param, field in flags.items():
        wanted = boolean(q.get(param), param)
        if wanted is not None:
            items = [r for r in items if r[field] is wanted]
    canceled = boolean(q.get("was_canceled"), "was_canceled")
    if canceled is not None:
        items = [r for r in items if (r["status"] == "canceled") is canceled]
    sort_on = q.get("sort_on", "created")
    key = {"created": "created_timestamp", "updated": "updated_timestamp", "receipt_id": "receipt_id"}
    if sort_on not in key:
        raise Reject(400, "sort_on is invalid")
    items.sort(key=lambda r: (r[key[sort_on]], r["receipt_id"]), reverse=_descending(request))
    return reply(200, _page(items, request))


def get_shop_receipt(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, _receipt(sb, ids))


def update_shop_receipt(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    receipt = _receipt(sb, ids)
    fields = form_fields(request)
    shipped = boolean(one(fields, "was_shipped"), "was_shipped")
    paid = boolean(one(fields, "was_paid"), "was_paid")
    if shipped is not None:
        receipt["is_shipped"] = shipped
        receipt["status"] = "completed" if shipped else receipt["status"]
    if paid is not None:
        receipt["is_paid"] = paid
        if paid and receipt["status"] == "open":
            receipt["status"] = "paid"
    return reply(200, sb.world.touch_receipt(receipt["receipt_id"], sb.now()))


def create_receipt_shipment(sb: EtsySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    receipt = _receipt(sb, ids)
    fields = form_fields(request)
    code, carrier = one(fields, "tracking_code"), one(fields, "carrier_name")
    if not code or not carrier:
        raise Reject(400, "tracking_code and carrier_name are required")
    receipt["shipments"].append(
        {
            "receipt_shipping_id": sb.world.next_id(),
            "shipment_notification_timestamp": sb.now(),
            "carrier_name": carrier,
            "tracking_code": code,
        }
    )
    receipt["is_shipped"], receipt["status"] = True, "completed"
    return reply(200, sb.world.touch_receipt(receipt["receipt_id"], sb.now()))


HANDLERS: dict[str, Handler] = {
    "getListingsByShop": get_listings_by_shop,
    "getListing": get_listing,
    "createDraftListing": create_draft_listing,
    "updateListing": update_listing,
    "deleteListing": delete_listing,
    "getListingInventory": get_listing_inventory,
    "updateListingInventory": update_listing_inventory,
    "uploadListingImage": upload_listing_image,
    "getShopReceipts": get_shop_receipts,
    "getShopReceipt": get_shop_receipt,
    "updateShopReceipt": update_shop_receipt,
    "createReceiptShipment": create_receipt_shipment,
}
