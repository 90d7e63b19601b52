"""`call(ctx, operation, ...)`: one SP-API operation (endpoints.py) through the store's client.

Answers are checked here and become core's errors, so capability code only sees JSON. SP-API's
arrays in a query are comma-separated (the models' `collectionFormat: csv`); its errors are
`{"errors": [{"code", "message", "details"}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fusionhub.plugin import DEFAULT_ERRORS, ErrorBody, StoreContext, ValidationError, meta, values_at
from fusionhub_amazon.endpoints import API_HOSTS, MARKETPLACES, OPERATIONS, REGIONS, SANDBOX_HOSTS
from fusionhub_amazon.ratelimit import wait_after_429

SLUG = "amazon-sc"
Query = Mapping[str, str | int | bool | Sequence[str] | None]


def _error_text(body: ErrorBody) -> str | None:
    """Amazon's explanation: each error's `code: message`, else the start of the text."""
    codes, messages = values_at(body.json, "errors.code"), values_at(body.json, "errors.message")
    if messages:
        return "; ".join(f"{c}: {m}" for c, m in zip(codes or [""] * len(messages), messages, strict=False))[:500]
    return body.text[:200] or None


ERRORS = DEFAULT_ERRORS.extend(describe=_error_text, rate_limit_wait=wait_after_429)


def invalid(loc: str, msg: str) -> ValidationError:
    """A ValidationError naming the one field at fault."""
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)


def _invalid(field: str, message: str) -> ValidationError:
    return invalid(f"store.config.{field}", message)


def seller_id(ctx: StoreContext) -> str:
    value = ctx.config.get("seller_id")
    if not isinstance(value, str) or not value:
        raise _invalid("seller_id", "set the seller's merchant token (Seller Central > Account Info)")
    return value


def marketplace_ids(ctx: StoreContext) -> list[str]:
    value = ctx.config.get("marketplace_ids")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _invalid("marketplace_ids", "set at least one marketplace id, e.g. ATVPDKIKX0DER")
    return value


def marketplace_id(ctx: StoreContext) -> str:
    """The store's main marketplace: listings and stock are written to it."""
    return marketplace_ids(ctx)[0]


def region_of(config: Mapping[str, Any]) -> str:
    """The SP-API region: `region` when set, else the marketplaces' (which must agree)."""
    declared = config.get("region")
    if declared is not None:
        if declared not in REGIONS:
            raise _invalid("region", f"must be one of {', '.join(REGIONS)}, got {declared!r}")
        return str(declared)
    ids = config.get("marketplace_ids")
    if not isinstance(ids, list) or not ids:
        raise _invalid("marketplace_ids", "set at least one marketplace id (it decides the region)")
    regions = {MARKETPLACES[m][0] for m in ids if m in MARKETPLACES}
    unknown = [m for m in ids if m not in MARKETPLACES]
    if unknown and not regions:
        raise _invalid("region", f"marketplace {unknown[0]} is not known to this plugin: set region (NA, EU or FE)")
    if len(regions) > 1:
        raise _invalid("marketplace_ids", f"marketplaces of one store must share a region, got {sorted(regions)}")
    return regions.pop()


def base_url(config: Mapping[str, Any]) -> str:
    hosts = SANDBOX_HOSTS if config.get("use_sandbox_endpoints") else API_HOSTS
    return f"https://{hosts[region_of(config)]}"


def query(params: Query) -> dict[str, str]:
    """SP-API's query: arrays comma-separated, booleans as true/false, None left out."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str | int):
            out[name] = str(value)
        else:
            out[name] = ",".join(value)
    return out


async def call(
    ctx: StoreContext,
    operation: str,
    *,
    params: Query | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    **ids: str,
) -> Any:
    """The operation's JSON answer (None for an empty one); `ids` fill its path."""
    op = OPERATIONS[operation]
    response = await ctx.http.request(
        op.method,
        op.url(**ids),
        params=query(params or {}),
        json=json,
        headers=dict(headers or {}),
        extensions=meta(operation=operation),
    )
    ERRORS.raise_for(response, platform=SLUG, operation=operation, now=ctx.clock.now())
    return response.json() if response.content else None
