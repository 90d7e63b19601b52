"""`call(ctx, operation, ...)`: one REST API v1 operation (endpoints.py) through the store's client.

Responses are checked here and turned into core errors, so capability code only sees JSON.
Printify's error body is `{"status": "error", "code": <int>, "message": ..., "errors": {"reason": ..., "code": ...}}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fusionhub.plugin import (
    DEFAULT_ERRORS,
    ErrorBody,
    ErrorRow,
    StoreContext,
    TransientError,
    ValidationError,
    field_is,
    meta,
)
from fusionhub_printify.config import SLUG, ShopConfig
from fusionhub_printify.endpoints import OPERATIONS

# While a product is being published Printify locks it: every edit answers 400 with this code.
LOCKED_CODE = 8252
LOCKED = (
    "The product is being published and Printify has locked it for editing (code 8252). "
    "Retry once the sales channel acknowledged the publication (publishing_succeeded or publishing_failed)."
)


def _is_locked(body: ErrorBody) -> bool:
    return field_is("code", LOCKED_CODE)(body) or field_is("errors.code", LOCKED_CODE)(body)


def _explanation(body: ErrorBody) -> str | None:
    """Printify's `message` and, when it gives one, `errors.reason` (a text or field → messages)."""
    data = body.json
    if not isinstance(data, dict):
        return body.text[:200] or None
    parts = [str(data["message"])] if data.get("message") else []
    errors = data.get("errors")
    reason = errors.get("reason") if isinstance(errors, dict) else None
    if reason:
        parts.append(reason if isinstance(reason, str) else json.dumps(reason, sort_keys=True))
    return " ".join(parts)[:500] or str(data)[:200]


ERRORS = DEFAULT_ERRORS.extend(
    ErrorRow(400, TransientError, LOCKED, when=_is_locked),
    describe=_explanation,
)


def shop_id(ctx: StoreContext) -> int:
    return ShopConfig.of(ctx.config).shop_id


async def call(
    ctx: StoreContext,
    operation: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    **ids: int | str,
) -> Any:
    """The operation's JSON answer (None for an empty one); `ids` fill its path, the store's shop id included."""
    op = OPERATIONS[operation]
    if "{shop_id}" in op.path:
        ids = {"shop_id": shop_id(ctx), **ids}
    response = await ctx.http.request(
        op.method,
        op.url(**ids),
        params=params,
        json=json,
        extensions=meta(operation=operation, endpoint_class=op.endpoint_class),
    )
    ERRORS.raise_for(response, platform=SLUG, operation=operation, now=ctx.clock.now())
    return response.json() if response.content else None


def refuse(loc: str, msg: str) -> ValidationError:
    """A bad input, named by its field path: raised before any request is sent."""
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)
