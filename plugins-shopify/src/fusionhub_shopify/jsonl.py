"""Bulk-operation results: JSONL streamed line by line, children joined to their parent.

Shopify writes each object on its own line; a nested connection's objects follow their parent
and carry `__parentId`. A record is a root line with its descendants grouped by type
(`{"ProductVariant": [...]}`), yielded as soon as the next root begins: memory holds one record.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from fusionhub.plugin import PlatformError, meta


@dataclass(slots=True)
class Record:
    node: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return self.children.get(name, [])


def type_of(node: dict[str, Any]) -> str:
    """gid://shopify/ProductVariant/1 → ProductVariant."""
    parts = str(node.get("id", "")).split("/")
    return parts[3] if len(parts) > 4 else "Object"


async def lines(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for raw in response.aiter_lines():
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            raise PlatformError("a bulk-operation result line is not JSON", platform="shopify") from None
        if isinstance(value, dict):
            yield value


async def records(objects: AsyncIterable[dict[str, Any]]) -> AsyncIterator[Record]:
    current: Record | None = None
    family: set[str] = set()  # ids of the current record and its descendants
    async for obj in objects:
        parent = obj.pop("__parentId", None)
        if parent is None:
            if current is not None:
                yield current
            current, family = Record(obj), {str(obj.get("id"))}
            continue
        if current is None or parent not in family:
            raise PlatformError("a bulk-operation child line precedes its parent", platform="shopify")
        current.children.setdefault(type_of(obj), []).append(obj)
        if "id" in obj:
            family.add(str(obj["id"]))
    if current is not None:
        yield current


async def download(client: httpx.AsyncClient, url: str) -> AsyncIterator[Record]:
    """Stream the JSONL at `url` (a signed storage URL: no shop token goes there) as records."""
    async with client.stream("GET", url, extensions=meta(cost=0, operation="bulk_result", observe=False)) as response:
        if response.status_code != 200:
            raise PlatformError(f"the bulk-operation result answered {response.status_code}", platform="shopify")
        async for record in records(lines(response)):
            yield record
