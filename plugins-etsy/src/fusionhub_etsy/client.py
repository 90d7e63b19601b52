"""One method per Open API v3 operation, on top of the store's rate-limited client.

Responses are checked here and turned into core errors, so capability code only sees JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from fusionhub.plugin import DEFAULT_ERRORS, ErrorBody, StoreContext, ValidationError, meta
from fusionhub_etsy.endpoints import OPERATIONS
from fusionhub_etsy.ratelimit import wait_after_429

SLUG = "etsy"
Json = dict[str, Any]
FormValue = str | int | float | Decimal | bool | Sequence[str | int] | None


def form(fields: Mapping[str, FormValue]) -> list[tuple[str, str]]:
    """Form-urlencoded pairs; arrays repeat the key (OpenAPI's default style=form, explode)."""
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int | float | Decimal):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return pairs


def _error_text(body: ErrorBody) -> str | None:
    """Etsy's explanation: `error` (or `error_description`) of a JSON body, else the text."""
    if isinstance(body.json, dict):
        return str(body.json.get("error") or body.json.get("error_description") or body.json)[:500]
    return str(body.json)[:500] if body.json is not None else body.text[:200] or None


# Core's rows; Etsy's explanation read from the body; a 429 waits as Etsy's headers say.
ERRORS = DEFAULT_ERRORS.extend(describe=_error_text, rate_limit_wait=wait_after_429)


def raise_for(response: httpx.Response, operation: str, now: float) -> None:
    ERRORS.raise_for(response, platform=SLUG, operation=operation, now=now)


class EtsyClient:
    """The store's Etsy API for one capability call. `shop_id` comes from the store config."""

    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx
        self.http = ctx.http
        shop_id = ctx.config.get("shop_id")
        if not isinstance(shop_id, int) or shop_id < 1:
            raise ValidationError(errors=[{"loc": "store.config.shop_id", "msg": "set the numeric Etsy shop id"}])
        self.shop_id = shop_id

    async def call(
        self,
        operation: str,
        ids: Mapping[str, int | str] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        data: Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        op = OPERATIONS[operation]
        url = op.url(shop_id=self.shop_id, **(ids or {}))
        kwargs: dict[str, Any] = {"extensions": meta(operation=operation)}
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        if data is not None and files is None:
            kwargs["content"] = str(httpx.QueryParams(list(data))).encode()
            kwargs["headers"] = {"content-type": "application/x-www-form-urlencoded"}
        elif files is not None:
            kwargs["data"] = dict(data or [])
            kwargs["files"] = files
        if json is not None:
            kwargs["json"] = json
        response = await self.http.request(op.method, url, **kwargs)
        raise_for(response, operation, self.ctx.clock.now())
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- listings ---------------------------------------------------------------------------

    async def listings(self, *, state: str | None, limit: int, offset: int, **extra: Any) -> Json:
        params = {"state": state, "limit": limit, "offset": offset, **extra}
        result: Json = await self.call("getListingsByShop", params=params)
        return result

    async def listing(self, listing_id: str | int, *, includes: Sequence[str] = ("Images", "Inventory")) -> Json:
        params = {"includes": list(includes)} if includes else None
        result: Json = await self.call("getListing", {"listing_id": listing_id}, params=params)
        return result

    async def create_listing(self, fields: Sequence[tuple[str, str]]) -> Json:
        result: Json = await self.call("createDraftListing", data=fields)
        return result

    async def update_listing(self, listing_id: str | int, fields: Sequence[tuple[str, str]]) -> Json:
        result: Json = await self.call("updateListing", {"listing_id": listing_id}, data=fields)
        return result

    async def delete_listing(self, listing_id: str | int) -> None:
        await self.call("deleteListing", {"listing_id": listing_id})

    async def inventory(self, listing_id: str | int) -> Json:
        result: Json = await self.call("getListingInventory", {"listing_id": listing_id})
        return result

    async def put_inventory(self, listing_id: str | int, body: Json) -> Json:
        result: Json = await self.call("updateListingInventory", {"listing_id": listing_id}, json=body)
        return result

    async def upload_image(
        self, listing_id: str | int, filename: str, content: bytes, content_type: str, *, rank: int, alt: str | None
    ) -> Json:
        fields = form({"rank": rank, "alt_text": alt})
        files = {"image": (filename, content, content_type)}
        result: Json = await self.call("uploadListingImage", {"listing_id": listing_id}, data=fields, files=files)
        return result

    # --- receipts ---------------------------------------------------------------------------

    async def receipts(self, **params: Any) -> Json:
        result: Json = await self.call("getShopReceipts", params=params)
        return result

    async def receipt(self, receipt_id: str | int) -> Json:
        result: Json = await self.call("getShopReceipt", {"receipt_id": receipt_id})
        return result

    async def update_receipt(self, receipt_id: str | int, fields: Sequence[tuple[str, str]]) -> Json:
        result: Json = await self.call("updateShopReceipt", {"receipt_id": receipt_id}, data=fields)
        return result

    async def create_shipment(self, receipt_id: str | int, fields: Sequence[tuple[str, str]]) -> Json:
        result: Json = await self.call("createReceiptShipment", {"receipt_id": receipt_id}, data=fields)
        return result
