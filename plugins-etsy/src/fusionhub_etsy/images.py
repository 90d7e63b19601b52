"""Listing images: Etsy takes the file itself (multipart), so each image URL is fetched first.

The fetch uses `ctx.outbound()`, a client without the store's auth: the x-api-key and bearer
token must never travel to an image host. Hosts route it through `ctx.outbound_transport`.
"""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit

import httpx

from fusionhub.plugin import ProductImage, StoreContext, TransientError, ValidationError
from fusionhub_etsy.client import call
from fusionhub_etsy.mapping import Json

MAX_IMAGE_BYTES = 20 * 1024 * 1024


async def fetch(ctx: StoreContext, url: str) -> tuple[str, bytes, str]:
    async with ctx.outbound() as plain:
        try:
            response = await plain.get(url)
        except httpx.TransportError as exc:
            raise TransientError(f"could not download image {url}: {type(exc).__name__}", platform="etsy") from None
    if response.status_code != 200:
        raise ValidationError(
            errors=[{"loc": "params.product.images", "msg": f"{url} answered {response.status_code}"}]
        )
    if len(response.content) > MAX_IMAGE_BYTES:
        raise ValidationError(
            errors=[{"loc": "params.product.images", "msg": f"{url} is over {MAX_IMAGE_BYTES} bytes"}]
        )
    name = posixpath.basename(urlsplit(url).path) or "image.jpg"
    return name, response.content, response.headers.get("content-type", "image/jpeg")


async def upload_all(ctx: StoreContext, listing_id: str, images: list[ProductImage]) -> list[Json]:
    uploaded = []
    for rank, image in enumerate(images, start=1):
        fields = {"rank": image.position or rank, "alt_text": image.alt}
        files = {"image": await fetch(ctx, str(image.url))}
        uploaded.append(await call(ctx, "uploadListingImage", data=fields, files=files, listing_id=listing_id))
    return uploaded
