"""fusionhub.jsonl: JSON lines streamed, child lines nested under their root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fusionhub.clock import VirtualClock
from fusionhub.errors import PlatformError
from fusionhub.jsonl import IncompleteResult, Record, download_lines, nested


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


def _serving(*bodies: bytes) -> tuple[httpx.MockTransport, list[int]]:
    """A file server answering each GET with the next body (the last one again when they run out)."""
    served: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        served.append(1)
        return httpx.Response(200, content=bodies[min(len(served), len(bodies)) - 1])

    return httpx.MockTransport(answer), served


def _read(transport: httpx.MockTransport, **kwargs: Any) -> tuple[list[dict[str, Any]], IncompleteResult | None]:
    seen: list[dict[str, Any]] = []

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            async for obj in download_lines(client, "https://files.example/x.jsonl", operation="export", **kwargs):
                seen.append(obj)

    try:
        VirtualClock().run(main())
    except IncompleteResult as exc:
        return seen, exc
    return seen, None


FULL = b'{"id": 1}\n{"id": 2}\n{"id": 3}\n'


@pytest.mark.parametrize(
    "cut",
    [b'{"id": 1}\n{"id": 2}\n{"id"', b'{"id": 1}\n{"id": 2}\n', b'{"id": 1}\n{"id": 2}'],
    ids=["mid-line", "last line missing", "no final newline, one short"],
)
def test_a_truncated_file_is_downloaded_again_once_resuming_after_what_was_yielded(cut: bytes) -> None:
    transport, served = _serving(cut, FULL)
    seen, error = _read(transport, expected=3)
    assert error is None and seen == [{"id": 1}, {"id": 2}, {"id": 3}]  # each object once
    assert len(served) == 2


def test_a_cut_without_a_count_is_still_recognised_by_the_broken_last_line() -> None:
    transport, served = _serving(b'{"id": 1}\n{"id": 2', FULL)
    seen, error = _read(transport)
    assert error is None and [o["id"] for o in seen] == [1, 2, 3] and len(served) == 2


def test_a_file_that_stays_short_raises_after_yielding_what_it_holds() -> None:
    transport, served = _serving(b'{"id": 1}\n{"id": 2}\n{"id"')
    seen, error = _read(transport, expected=3)
    assert seen == [{"id": 1}, {"id": 2}] and len(served) == 2
    assert error is not None and (error.read, error.expected) == (2, 3)
    assert error.category.value == "transient" and "ended early" in error.message


def test_no_retry_when_told_and_a_complete_file_is_read_once() -> None:
    transport, served = _serving(b'{"id": 1}\n')
    seen, error = _read(transport, expected=2, retries=0)
    assert error is not None and len(served) == 1 and seen == [{"id": 1}]
    transport, served = _serving(b'{"id": 1}\n{"id": 2}')  # a last line without its newline is complete JSON
    seen, error = _read(transport, expected=2)
    assert error is None and len(served) == 1 and len(seen) == 2
