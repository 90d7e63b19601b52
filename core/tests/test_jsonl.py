"""fusionhub.jsonl: JSON lines streamed, child lines nested under their root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.errors import PlatformError
from fusionhub.jsonl import Record, download_lines, nested


def _kind(obj: dict[str, Any]) -> str:
    return str(obj["kind"])


async def _each(objects: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for obj in objects:
        yield dict(obj)


def _nest(objects: list[dict[str, Any]]) -> list[Record]:
    async def main() -> list[Record]:
        return [r async for r in nested(_each(objects), parent_key="parent", kind=_kind)]

    return VirtualClock().run(main())


def test_grandchildren_stay_with_their_root_grouped_by_kind() -> None:
    first, second = _nest(
        [
            {"id": "a", "kind": "root"},
            {"id": "a1", "kind": "item", "parent": "a"},
            {"id": "a1x", "kind": "part", "parent": "a1"},
            {"id": "b", "kind": "root"},
        ]
    )
    assert first.node == {"id": "a", "kind": "root"}
    assert [c["id"] for c in first.of_type("item")] == ["a1"] and first.of_type("part")[0]["id"] == "a1x"
    assert second.node["id"] == "b" and second.children == {}


def test_a_child_of_another_root_is_refused() -> None:
    with pytest.raises(PlatformError):
        _nest([{"id": "a", "kind": "root"}, {"id": "x", "kind": "item", "parent": "b"}])


def test_download_skips_blank_lines_and_refuses_a_line_that_is_not_json() -> None:
    body = b'{"id": 1}\n\n{"id": 2}\nnot json\n'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))

    seen: list[dict[str, Any]] = []

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            async for obj in download_lines(client, "https://files.example/x.jsonl", operation="export"):
                seen.append(obj)

    with pytest.raises(PlatformError, match="export"):
        VirtualClock().run(main())
    assert seen == [{"id": 1}, {"id": 2}]
