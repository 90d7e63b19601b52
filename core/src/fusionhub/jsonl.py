"""JSON lines: a large result (an export, a bulk operation's output) streamed one line at a time.

Some platforms flatten nested objects into lines: each child line follows its root and names its
parent (`parent_key`). `nested` joins them back into one `Record` per root, grouped by kind, and
yields it as soon as the next root begins: memory holds one record, whatever the result's size.

A result file can arrive incomplete (a connection cut mid-line, a file short of the object count
the platform reported). `download_lines` tells a cut from a corrupt line (the last line, without
its newline), downloads the file again once, resuming after what it already yielded, and raises
`IncompleteResult` when the second copy falls short too: a reader never takes part of a result
for the whole of it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fusionhub.errors import PlatformError, TransientError
from fusionhub.http import meta


class IncompleteResult(TransientError):
    """A JSON-lines result ended early, even when downloaded again: `read` of `expected` objects."""

    def __init__(self, operation: str, read: int, expected: int | None, *, platform: str | None = None) -> None:
        of = f" of the {expected} reported" if expected is not None else ""
        super().__init__(
            f"the {operation} download ended early: {read} objects read{of} (cut off or short)",
            details={"operation": operation, "read": read, "expected": expected},
            platform=platform,
        )
        self.read, self.expected = read, expected


@dataclass(slots=True)
class Record:
    """A root line and its descendants by kind (`{"Variant": [...]}`)."""

    node: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return self.children.get(name, [])


async def download_lines(
    client: httpx.AsyncClient,
    url: str,
    *,
    operation: str,
    platform: str | None = None,
    expected: int | None = None,
    retries: int = 1,
) -> AsyncIterator[dict[str, Any]]:
    """The objects of the JSON-lines file at `url`, streamed (no cost charged, no body buffered).

    `expected`: how many objects the platform says the file holds. A file cut mid-line or short
    of it is downloaded again (`retries` times), skipping the objects already yielded; still
    incomplete, it raises `IncompleteResult` after yielding every complete object it got.
    """
    read = 0
    for _attempt in range(retries + 1):
        skip, complete = read, True
        async for value in _objects(client, url, operation, platform):
            if value is _CUT:
                complete = False
            elif skip:
                skip -= 1
            else:
                read += 1
                if isinstance(value, dict):
                    yield value
        if complete and not skip and (expected is None or read >= expected):
            return
    raise IncompleteResult(operation, read, expected, platform=platform)


_CUT: Any = object()  # the file ended inside a line


async def _objects(client: httpx.AsyncClient, url: str, operation: str, platform: str | None) -> AsyncIterator[Any]:
    """Each JSON line of the file, then `_CUT` if its last line ends without its newline and is not JSON."""
    async with client.stream("GET", url, extensions=meta(cost=0, operation=operation, observe=False)) as response:
        if response.status_code != 200:
            raise PlatformError(f"the {operation} download answered {response.status_code}", platform=platform)
        rest = b""
        async for chunk in response.aiter_bytes():
            *lines, rest = (rest + chunk).split(b"\n")
            for raw in lines:
                if raw.strip():
                    yield _parse(raw, operation, platform)
        if rest.strip():
            try:
                yield json.loads(rest)
            except ValueError:
                yield _CUT


def _parse(raw: bytes, operation: str, platform: str | None) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise PlatformError(f"a line of the {operation} download is not JSON", platform=platform) from None


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
