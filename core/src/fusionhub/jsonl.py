"""JSON lines: a large result (an export, a bulk operation's output) streamed one line at a time.

Some platforms flatten nested objects into lines: each child line follows its root and names its
parent (`parent_key`). `nested` joins them back into one `Record` per root, grouped by kind, and
yields it as soon as the next root begins: memory holds one record, whatever the result's size.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fusionhub.errors import PlatformError
from fusionhub.http import meta


@dataclass(slots=True)
class Record:
    """A root line and its descendants by kind (`{"Variant": [...]}`)."""

    node: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return self.children.get(name, [])


async def download_lines(
    client: httpx.AsyncClient, url: str, *, operation: str, platform: str | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The objects of the JSON-lines file at `url`, streamed (no cost charged, no body buffered)."""
    async with client.stream("GET", url, extensions=meta(cost=0, operation=operation, observe=False)) as response:
        if response.status_code != 200:
            raise PlatformError(f"the {operation} download answered {response.status_code}", platform=platform)
        async for raw in response.aiter_lines():
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                raise PlatformError(f"a line of the {operation} download is not JSON", platform=platform) from None
            if isinstance(value, dict):
                yield value


async def nested(
    objects: AsyncIterable[dict[str, Any]],
    *,
    parent_key: str,
    kind: Callable[[dict[str, Any]], str],
    platform: str | None = None,
) -> AsyncIterator[Record]:
    """Root lines with the child lines that follow them (a child's `parent_key` names its parent)."""
    current: Record | None = None
    family: set[str] = set()  # ids of the current record and its descendants
    async for obj in objects:
        parent = obj.pop(parent_key, None)
        if parent is None:
            if current is not None:
                yield current
            current, family = Record(obj), {str(obj.get("id"))}
            continue
        if current is None or parent not in family:
            raise PlatformError("a child line precedes its parent", platform=platform)
        current.children.setdefault(kind(obj), []).append(obj)
        if "id" in obj:
            family.add(str(obj["id"]))
    if current is not None:
        yield current
