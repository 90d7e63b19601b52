"""Printify's answers: JSON bodies, errors as {"status": "error", "code", "message", "errors": {"reason", "code"}}."""

from __future__ import annotations

from typing import Any

import httpx

from fusionhub.plugin import Reply

VALIDATION_CODE = 10100
LOCKED_CODE = 8252


def reply(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def error(status: int, message: str, code: int | None = None, reason: Any = None) -> httpx.Response:
    code = code if code is not None else status
    return reply(
        status,
        {"status": "error", "code": code, "message": message, "errors": {"reason": reason or message, "code": code}},
    )


def invalid(reason: Any) -> Reply:
    """400 Validation failed, with Printify's reason (a text or field → messages)."""
    return Reply(error(400, "Validation failed.", VALIDATION_CODE, reason))


def locked() -> Reply:
    return Reply(error(400, "Product is disabled for editing", LOCKED_CODE))


def not_found(what: str) -> Reply:
    return Reply(error(404, f"{what} not found."))


def missing(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    return error(405 if allowed else 404, f"No route for {method} {path} in the sandbox")


def page(items: list[Any], page_number: int, limit: int, path: str) -> Json:
    last = max(1, -(-len(items) // limit))
    start = (page_number - 1) * limit
    chunk = items[start : start + limit]
    return {
        "current_page": page_number,
        "data": chunk,
        "from": start + 1 if chunk else None,
        "to": start + len(chunk) if chunk else None,
        "last_page": last,
        "per_page": limit,
        "total": len(items),
        "next_page_url": f"{path}?page={page_number + 1}" if page_number < last else None,
        "prev_page_url": f"{path}?page={page_number - 1}" if page_number > 1 else None,
    }


Json = dict[str, Any]
