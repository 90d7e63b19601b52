"""The sandbox's handlers, one per REST API v1 operation (endpoints.py names them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from fusionhub.plugin import Reply
from fusionhub_printify import unverified
from fusionhub_printify.sandbox import catalog
from fusionhub_printify.sandbox.replies import Json, error, invalid, locked, not_found, page, reply
from fusionhub_printify.webhooks import TOPICS

if TYPE_CHECKING:
    from fusionhub_printify.sandbox import PrintifySandbox

Handler = Callable[["PrintifySandbox", httpx.Request, dict[str, str]], httpx.Response]
PUBLISH_FIELDS = ("title", "description", "images", "variants", "tags", "keyFeatures", "shipping_template")
SENDABLE = ("on-hold", "pending")  # what send_to_production takes
CANCELLABLE = ("on-hold", "pending", "payment-not-received")


def body_of(request: httpx.Request) -> Json:
    try:
        data = json.loads(request.content or b"{}")
    except ValueError:
        raise invalid("The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.")
    return data


def _paging(request: httpx.Request, most: int) -> tuple[int, int]:
    try:
        number, limit = int(request.url.params.get("page", "1")), int(request.url.params.get("limit", "10"))
    except ValueError:
        raise invalid({"page": ["must be an integer"]}) from None
    if number < 1 or not 1 <= limit <= most:
        raise invalid({"limit": [f"must be between 1 and {most}"]})
    return number, limit


# --- shops and catalog -------------------------------------------------------------------------


def list_shops(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, [sb.world.shops[s] for s in sorted(sb.account_of(request).shops)])


def get_blueprint(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    found = catalog.BLUEPRINTS.get(int(ids["blueprint_id"]))
    if found is None:
        raise not_found("Blueprint")
    return reply(200, found)


def get_provider_variants(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    key = (int(ids["blueprint_id"]), int(ids["print_provider_id"]))
    if key not in catalog.VARIANTS:
        raise not_found("Print provider")
    variants = [catalog.public_variant(v) for v in catalog.VARIANTS[key]]
    return reply(200, {"id": key[1], "title": catalog.PROVIDERS[key[0]][key[1]], "variants": variants})


def upload_image(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    body = body_of(request)
    url, name = body.get("url"), body.get("file_name")
    if not name or not (url or body.get("contents")):
        raise invalid({"file_name": ["required"], "url": ["url or contents is required"]})
    if url and urlsplit(str(url)).scheme not in ("http", "https"):
        raise invalid({"url": ["must be an http(s) URL Printify can fetch"]})
    upload = {
        "id": sb.world.new_id(),
        "file_name": name,
        "height": 4000,
        "width": 4000,
        "size": 1_048_576,
        "mime_type": "image/png",
        "preview_url": f"https://images.printify.com/{name}",
        "upload_time": sb.stamp(),
    }
    sb.world.uploads[upload["id"]] = upload
    return reply(200, upload)


# --- products ----------------------------------------------------------------------------------


def list_products(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    number, limit = _paging(request, unverified.PRODUCTS_MAX_LIMIT)
    items = list(sb.shop_products(ids).values())
    return reply(200, page(items, number, limit, request.url.path))


def get_product(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, sb.product(ids))


def _check_creation(body: Json, uploads: dict[str, Json]) -> tuple[int, int]:
    problems: dict[str, list[str]] = {}
    if not str(body.get("title") or "").strip():
        problems["title"] = ["The title field is required."]
    key = (body.get("blueprint_id"), body.get("print_provider_id"))
    if key not in catalog.VARIANTS:
        problems["print_provider_id"] = ["This print provider does not print this blueprint."]
        raise invalid(problems)
    blueprint, provider = int(str(key[0])), int(str(key[1]))
    known = {v["id"] for v in catalog.VARIANTS[(blueprint, provider)]}
    variants = body.get("variants") or []
    if not variants or any(v.get("id") not in known or not isinstance(v.get("price"), int) for v in variants):
        problems["variants"] = ["Each variant needs an id of the provider's variants and an integer price."]
    areas = body.get("print_areas") or []
    image_ids = [i.get("id") for a in areas for ph in a.get("placeholders") or [] for i in ph.get("images") or []]
    if not areas or not image_ids or any(i not in uploads for i in image_ids):
        problems["print_areas"] = ["Each print area needs placeholders with uploaded images."]
    if problems:
        raise invalid(problems)
    return blueprint, provider


def create_product(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    shop_id = sb.shop_id(ids)
    body = body_of(request)
    _check_creation(body, sb.world.uploads)
    return reply(200, sb.world.new_product(shop_id, body, sb.clock.now()))


READ_ONLY = ("blueprint_id", "print_provider_id", "options", "images", "is_locked", "shop_id", "user_id", "external")


def update_product(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    product, body = sb.product(ids), body_of(request)
    if product["is_locked"]:
        raise locked()
    changed_read_only = [k for k in READ_ONLY if k in body and body[k] != product.get(k)]
    if changed_read_only:
        raise invalid({k: ["This field cannot be changed."] for k in changed_read_only})
    by_id = {v["id"]: v for v in product["variants"]}
    for v in body.get("variants") or []:
        if v.get("id") not in by_id or ("price" in v and not isinstance(v["price"], int)):
            raise invalid({"variants": [f"Unknown variant {v.get('id')} or a price that is not in cents."]})
    for v in body.get("variants") or []:
        target = by_id[v["id"]]
        target["price"] = v.get("price", target["price"])
        target["is_enabled"] = bool(v.get("is_enabled", target["is_enabled"]))
    for key in ("title", "description", "tags", "print_areas"):
        if key in body:
            product[key] = body[key]
    product["updated_at"] = sb.stamp()
    return reply(200, product)


def delete_product(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    product = sb.product(ids)
    del sb.shop_products(ids)[product["id"]]
    sb.world.emit(
        product["shop_id"], "product:deleted", product["id"], "product", {"shop_id": product["shop_id"]}, sb.clock.now()
    )
    return reply(200, {})


def publish(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    product, body = sb.product(ids), body_of(request)
    if product["is_locked"]:
        raise locked()
    missing = [f for f in PUBLISH_FIELDS if not isinstance(body.get(f), bool)]
    if missing:
        raise invalid({f: ["The field is required and must be a boolean."] for f in missing})
    product["is_locked"] = True
    data = {"shop_id": product["shop_id"], "publish_details": body, "action": "create"}
    sb.world.emit(product["shop_id"], "product:publish:started", product["id"], "product", data, sb.clock.now())
    return reply(200, {})


def publishing_succeeded(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    product, body = sb.product(ids), body_of(request)
    external = body.get("external")
    if not isinstance(external, dict) or not external.get("id"):
        raise invalid({"external.id": ["required"]})
    product["external"] = {"id": str(external["id"]), "handle": str(external.get("handle") or "")}
    product["is_locked"] = False
    return reply(200, {})


def publishing_failed(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    product, body = sb.product(ids), body_of(request)
    if not body.get("reason"):
        raise invalid({"reason": ["required"]})
    product["is_locked"] = False
    return reply(200, {})


# --- orders ------------------------------------------------------------------------------------


def list_orders(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    number, limit = _paging(request, unverified.ORDERS_MAX_LIMIT)
    status = request.url.params.get("status")
    items = [o for o in sb.shop_orders(ids).values() if status is None or o["status"] == status]
    items.sort(key=lambda o: o["created_at"], reverse=True)
    return reply(200, page(items, number, limit, request.url.path))


def get_order(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, sb.order(ids))


def send_to_production(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    order = sb.order(ids)
    if order["status"] not in SENDABLE:
        raise invalid(f"An order that is {order['status']} cannot be sent to production.")
    order["sent_to_production_at"] = sb.stamp()
    sb.world.set_order_status(
        sb.shop_id(ids), order, "sending-to-production", sb.clock.now(), "order:sent-to-production"
    )
    sb.in_production[order["id"]] = sb.clock.now()
    return reply(200, {"id": order["id"]})


def cancel_order(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    order = sb.order(ids)
    if order["status"] not in CANCELLABLE:
        raise invalid(f"An order that is {order['status']} cannot be canceled.")
    sb.world.set_order_status(sb.shop_id(ids), order, "canceled", sb.clock.now())
    return reply(200, order)


# --- webhooks ----------------------------------------------------------------------------------


def _public_hook(hook: Json) -> Json:
    return {k: hook[k] for k in ("id", "topic", "url", "shop_id")}


def list_webhooks(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    return reply(200, [_public_hook(h) for h in sb.shop_webhooks(ids).values()])


def create_webhook(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    body = body_of(request)
    if body.get("topic") not in TOPICS:
        raise invalid({"topic": ["Unknown topic."]})
    if urlsplit(str(body.get("url") or "")).scheme != "https":
        raise invalid({"url": ["An https URL is required."]})
    hook = {
        "id": sb.world.new_id(),
        "topic": body["topic"],
        "url": body["url"],
        "shop_id": sb.shop_id(ids),
        "secret": body.get("secret"),
    }
    sb.shop_webhooks(ids)[hook["id"]] = hook
    return reply(200, _public_hook(hook))


def delete_webhook(sb: PrintifySandbox, request: httpx.Request, ids: dict[str, str]) -> httpx.Response:
    hooks = sb.shop_webhooks(ids)
    hook = hooks.get(ids["webhook_id"])
    if hook is None:
        raise not_found("Webhook")
    host = request.url.params.get("host")
    if host is not None and host != urlsplit(hook["url"]).hostname:
        raise Reply(error(400, "The host does not match the webhook's URL."))
    del hooks[hook["id"]]
    return reply(200, {"id": hook["id"]})


HANDLERS: dict[str, Handler] = {
    "listShops": list_shops,
    "getBlueprint": get_blueprint,
    "getProviderVariants": get_provider_variants,
    "uploadImage": upload_image,
    "listProducts": list_products,
    "getProduct": get_product,
    "createProduct": create_product,
    "updateProduct": update_product,
    "deleteProduct": delete_product,
    "publishProduct": publish,
    "publishingSucceeded": publishing_succeeded,
    "publishingFailed": publishing_failed,
    "listOrders": list_orders,
    "getOrder": get_order,
    "sendToProduction": send_to_production,
    "cancelOrder": cancel_order,
    "listWebhooks": list_webhooks,
    "createWebhook": create_webhook,
    "deleteWebhook": delete_webhook,
}
