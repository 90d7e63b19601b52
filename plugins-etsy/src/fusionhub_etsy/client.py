"""`call(ctx, operation, ...)`: one Open API v3 operation (endpoints.py) through the store's client.

Responses are checked here and turned into core errors, so capability code only sees JSON.
Form fields and multipart files go to httpx as they are: it encodes arrays by repeating the key
(OpenAPI's style=form, explode) and booleans as true/false, as Etsy expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fusionhub.plugin import DEFAULT_ERRORS, ErrorBody, StoreContext, TransientError, ValidationError, meta
from fusionhub_etsy.endpoints import OPERATIONS
from fusionhub_etsy.mapping import SLUG
from fusionhub_etsy.ratelimit import RATE_HEADERS


def _error_text(body: ErrorBody) -> str | None:
    """Etsy's explanation: `error` (or `error_description`) of a JSON body, else the text."""
    if isinstance(body.json, dict):
        return str(body.json.get("error") or body.json.get("error_description") or body.json)[:500]
    return str(body.json)[:500] if body.json is not None else body.text[:200] or None


# Core's rows; Etsy's explanation read from the body; a 429 waits as Etsy's headers say.
ERRORS = DEFAULT_ERRORS.extend(describe=_error_text, rate_limit_wait=RATE_HEADERS.wait)


def _refused(loc: str, what: str) -> ValidationError:
    msg = f"set the numeric Etsy {what} id (a positive integer)"
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)


def etsy_id(value: str | None, loc: str, what: str = "listing") -> str:
    """An id from params, checked before it goes into a URL: Etsy's ids are positive int64 numbers."""
    if not (value and value.isascii() and value.isdigit() and len(value) < 20 and 0 < int(value) < 2**63):
        raise _refused(loc, what)
    return value


def shop_id(ctx: StoreContext) -> int:
    value = ctx.config.get("shop_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _refused("store.config.shop_id", "shop")
    return value


async def call(
    ctx: StoreContext,
    operation: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    json: Any = None,
    **ids: int | str,
) -> Any:
    """The operation's JSON object (None for an empty answer; a malformed one is a TransientError, so
    the job is retried); `ids` fill its path, None form fields are left out."""
    op = OPERATIONS[operation]
    response = await ctx.http.request(
        op.method,
        op.url(shop_id=shop_id(ctx), **ids),
        params=params,
        data=None if data is None else {k: v for k, v in data.items() if v is not None},
        files=files,
        json=json,
        extensions=meta(operation=operation),
    )
    ERRORS.raise_for(response, platform=SLUG, operation=operation, now=ctx.clock.now())
    if not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):  # every operation answers an object: this one was cut short or garbled
        raise TransientError(f"{operation}: Etsy's answer is not a JSON object", platform=SLUG)
    return body
