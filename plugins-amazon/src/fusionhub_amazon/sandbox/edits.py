"""Listing submissions as the fake applies them: puts, JSON patches and feed messages, with issues.

One rule set serves putListingsItem/patchListingsItem and JSON_LISTINGS_FEED messages, as on
Amazon. Issues have Amazon's shape (code, message, severity, attributeNames); the checks are the
fake's own small subset of the product type definitions: a title is required, MFN quantities are
whole numbers ≥ 0, prices are numbers ≥ 0, offer-only attributes may be patched under PRODUCT.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fusionhub_amazon.sandbox.world import Listing, World

OFFER_ATTRIBUTES = {"purchasable_offer", "fulfillment_availability"}
PATCH_OPS = {"add", "replace", "merge", "delete"}


def issue(code: str, message: str, attribute: str | None = None, severity: str = "ERROR") -> dict[str, Any]:
    found: dict[str, Any] = {
        "code": code,
        "message": message,
        "severity": severity,
        "categories": ["INVALID_ATTRIBUTE"],
    }
    if attribute:
        found["attributeNames"] = [attribute]
    return found


def check_attributes(attributes: dict[str, Any], *, full: bool) -> list[dict[str, Any]]:
    issues = []
    if full and not attributes.get("item_name"):
        issues.append(issue("90220", "'item_name' is required but not supplied.", "item_name"))
    for entry in attributes.get("fulfillment_availability") or []:
        quantity = entry.get("quantity") if isinstance(entry, dict) else None
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            issues.append(
                issue("99022", f"quantity must be a whole number >= 0, got {quantity!r}", "fulfillment_availability")
            )
    for offer in attributes.get("purchasable_offer") or []:
        for price in (offer.get("our_price") or []) if isinstance(offer, dict) else []:
            for schedule in price.get("schedule") or []:
                value = schedule.get("value_with_tax")
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    issues.append(issue("99022", f"price must be a number >= 0, got {value!r}", "purchasable_offer"))
    return issues


def apply_patches(
    listing: Listing, product_type: str, patches: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The attributes after `patches` (the listing is left as it was) and the issues found."""
    attributes = copy.deepcopy(listing.attributes)
    issues: list[dict[str, Any]] = []
    for patch in patches:
        op, path = patch.get("op"), str(patch.get("path", ""))
        name = path.removeprefix("/attributes/")
        if op not in PATCH_OPS or not path.startswith("/attributes/") or "/" in name or not name:
            issues.append(issue("4000004", f"unsupported patch {op} {path}: top-level attributes only"))
            continue
        if product_type != listing.product_type and not (product_type == "PRODUCT" and name in OFFER_ATTRIBUTES):
            issues.append(
                issue(
                    "4000005", f"product type {product_type} does not match the listing's {listing.product_type}", name
                )
            )
            continue
        value = patch.get("value")
        if op == "delete":
            attributes.pop(name, None)
        elif not isinstance(value, list):
            issues.append(issue("4000004", f"{op} {path} needs a list value", name))
        elif op == "merge" and name in attributes:
            merged = {e.get("fulfillment_channel_code", i): e for i, e in enumerate(attributes[name])}
            for entry in value:
                key = entry.get("fulfillment_channel_code")
                merged[key] = {**merged.get(key, {}), **entry}
            attributes[name] = list(merged.values())
        else:
            attributes[name] = value
    return attributes, issues + check_attributes(attributes, full=False)


def submission(sku: str, issues: list[dict[str, Any]], world: World, *, preview: bool = False) -> dict[str, Any]:
    status = "INVALID" if any(i["severity"] == "ERROR" for i in issues) else ("VALID" if preview else "ACCEPTED")
    return {
        "sku": sku,
        "status": status,
        "submissionId": f"{world.next_id():x}{world.counter * 7919:x}",
        "issues": issues,
    }


def process_feed(world: World, content: bytes, now: float) -> tuple[str, dict[str, Any]]:
    """Apply a JSON_LISTINGS_FEED document: the feed's end status and its processing report."""
    try:
        document = json.loads(content)
        header, messages = document["header"], document["messages"]
    except (ValueError, KeyError, TypeError):
        report = {
            "header": {"sellerId": world.seller_id, "version": "2.0"},
            "issues": [issue("90000", "The feed is not valid JSON_LISTINGS_FEED v2.")],
        }
        report["summary"] = {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        }
        return "FATAL", report
    if header.get("sellerId") != world.seller_id or header.get("version") != "2.0":
        fatal = issue("90001", "header.sellerId must be the submitting seller and version 2.0")
        summary = {"errors": 1, "warnings": 0, "messagesProcessed": 0, "messagesAccepted": 0, "messagesInvalid": 0}
        return "FATAL", {
            "header": {"sellerId": world.seller_id, "version": "2.0"},
            "issues": [fatal],
            "summary": summary,
        }
    report_issues: list[dict[str, Any]] = []
    accepted = 0
    for message in messages:
        found = apply_message(world, message, now)
        for one in found:
            report_issues.append(
                {
                    "messageId": message.get("messageId"),
                    "sku": message.get("sku"),
                    "code": one["code"],
                    "severity": one["severity"],
                    "message": one["message"],
                }
                | ({"attributeName": one["attributeNames"][0]} if one.get("attributeNames") else {})
            )
        accepted += 0 if any(i["severity"] == "ERROR" for i in found) else 1
    summary = {
        "errors": sum(1 for i in report_issues if i["severity"] == "ERROR"),
        "warnings": sum(1 for i in report_issues if i["severity"] == "WARNING"),
        "messagesProcessed": len(messages),
        "messagesAccepted": accepted,
        "messagesInvalid": len(messages) - accepted,
    }
    return "DONE", {
        "header": {"sellerId": world.seller_id, "version": "2.0"},
        "issues": report_issues,
        "summary": summary,
    }


def apply_message(world: World, message: dict[str, Any], now: float) -> list[dict[str, Any]]:
    sku, operation = str(message.get("sku", "")), message.get("operationType")
    listing = world.listings.get(sku)
    if operation == "DELETE":
        world.listings.pop(sku, None)
        return []
    if operation in ("UPDATE", "PARTIAL_UPDATE"):
        attributes = dict(message.get("attributes") or {})
        if operation == "PARTIAL_UPDATE":
            if listing is None:
                return [issue("4000001", f"SKU {sku} does not exist")]
            attributes = {**listing.attributes, **attributes}
        found = check_attributes(attributes, full=True)
        if not found:
            kind = str(message.get("productType") or "PRODUCT")
            if listing is None:
                world.listings[sku] = Listing(sku, kind, attributes, now, now, f"B0{world.next_id():08d}")
            else:
                listing.attributes, listing.updated = attributes, now
        return found
    if operation == "PATCH":
        if listing is None:
            return [issue("4000001", f"SKU {sku} does not exist")]
        attributes, found = apply_patches(listing, str(message.get("productType")), list(message.get("patches") or []))
        if not any(i["severity"] == "ERROR" for i in found):
            listing.attributes, listing.updated = attributes, now
        return found
    return [issue("4000002", f"unknown operationType {operation!r}")]
