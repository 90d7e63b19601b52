"""One Gumroad request: send it with the store's client, map a refusal, return the JSON object."""

from __future__ import annotations

from typing import Any

from fusionhub.plugin import ErrorTable, StoreContext, TransientError
from fusionhub_gumroad.endpoints import SLUG
from fusionhub_gumroad.errors import ERRORS

Json = dict[str, Any]


async def call(
    ctx: StoreContext, method: str, url: str, *, operation: str, errors: ErrorTable = ERRORS, **kwargs: Any
) -> Json:
    """`operation` names the call in errors ("GET /sales/:id"); kwargs go to httpx (params, data)."""
    response = await ctx.http.request(method, url, **kwargs)
    errors.raise_for(response, platform=SLUG, operation=operation, now=ctx.clock.now())
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):  # a proxy's page or a cut answer: worth another try
        raise TransientError(f"{operation}: Gumroad's answer is not a JSON object", platform=SLUG)
    return body


def record(body: Json, key: str, operation: str) -> Json:
    """The object under `key` of a successful answer (`product`, `sale`, ...)."""
    value = body.get(key)
    if not isinstance(value, dict):
        raise TransientError(f"{operation}: Gumroad's answer has no {key}", platform=SLUG)
    return value
