"""One method per Open API v3 operation, on top of the store's rate-limited client.

Responses are checked here and turned into core errors, so capability code only sees JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from fusionhub.context import StoreContext
from fusionhub.errors import RateLimited, ValidationError
from fusionhub.http import meta, raise_for_status
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


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("error") or body.get("error_description") or body)[:500]
    return str(body)[:500]


def raise_for(response: httpx.Response, operation: str, now: float) -> None:
    """Core's status → error table, with Etsy's own message; a 429 waits as Etsy's headers say."""
    if response.status_code == 429:
        details = {"operation": operation, "status": 429}
        raise RateLimited(wait_after_429(response), details=details, platform=SLUG)
    if response.status_code >= 400:
        raise_for_status(response, platform=SLUG, message=f"Etsy {operation}: {_error_text(response)}", now=now)


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
