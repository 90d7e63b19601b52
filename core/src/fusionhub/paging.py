"""Paging: opaque cursors for the four ways platforms page, and one loop that streams every item.

A capability that lists returns `Page(items, next_cursor)`; the cursor is opaque to callers
and is handed back unchanged. Whatever the platform pages by, the plugin keeps its position in
that cursor:

- a **cursor** API (GraphQL connections, `next_cursor` fields): the platform's own cursor;
  `relay(connection)` reads a Relay-style connection (`nodes`, `pageInfo.hasNextPage/endCursor`);
- an **offset** API: `OffsetCursor` (the offset and the filters the first page was asked with);
- a **page-number** API: `PageNumberCursor` (the page number and the filters);
- a **next-link** API (`Link: <…>; rel="next"`, or a `next` URL in the body): `LinkCursor`, which
  refuses a URL outside the API's base, so a forged cursor cannot send credentials elsewhere.

Decoding refuses anything this module did not encode with a `ValidationError` naming the field
(`params.cursor` unless told otherwise). `stream(fetch)` yields every item, one page in memory at
a time; `each_item(list_page, params)` does it for a plugin's own list function (an export), the
way `Hub.iterate` does it for a capability.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from fusionhub.errors import ValidationError
from fusionhub.models import Page

T = TypeVar("T")
C = TypeVar("C")
CURSOR_LOC = "params.cursor"

# One page: its items and the position of the next one (None: it was the last).
Step = tuple[Sequence[T], C | None]


def encode_cursor(state: Mapping[str, Any]) -> str:
    """An opaque, URL-safe cursor for a JSON-able position."""
    raw = json.dumps(dict(state), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refuse(loc: str, platform: str | None) -> ValidationError:
    return ValidationError(errors=[{"loc": loc, "msg": "not a cursor returned by this plugin"}], platform=platform)


def decode_cursor(cursor: str | None, *, loc: str = CURSOR_LOC, platform: str | None = None) -> dict[str, Any]:
    """The position in a cursor from `encode_cursor`; {} for none; ValidationError at `loc` for anything else."""
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise _refuse(loc, platform)
    return data


def _count(data: Mapping[str, Any], key: str, minimum: int, loc: str, platform: str | None) -> int:
    value = data.get(key, minimum)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _refuse(loc, platform)
    return value


def _filters(data: Mapping[str, Any], loc: str, platform: str | None) -> dict[str, Any]:
    filters = data.get("filters", {})
    if not isinstance(filters, dict):
        raise _refuse(loc, platform)
    return filters


@dataclass(frozen=True, slots=True)
class OffsetCursor:
    """`?offset=&limit=` paging; `filters` keeps what the first page was asked with."""

    offset: int = 0
    filters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def decode(cls, cursor: str | None, *, loc: str = CURSOR_LOC, platform: str | None = None) -> OffsetCursor:
        data = decode_cursor(cursor, loc=loc, platform=platform)
        return cls(_count(data, "offset", 0, loc, platform), _filters(data, loc, platform))

    def next(self, received: int, *, total: int | None = None, limit: int | None = None) -> str | None:
        """The cursor after a page of `received` items that began here (by `total`, else a full `limit`)."""
        end = self.offset + received
        if received == 0 or (total is not None and end >= total) or (limit is not None and received < limit):
            return None
        return encode_cursor({"offset": end, "filters": self.filters})


@dataclass(frozen=True, slots=True)
class PageNumberCursor:
    """`?page=&per_page=` paging, pages counted from `first` (1 unless the API says 0)."""

    page: int = 1
    filters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def decode(
        cls, cursor: str | None, *, first: int = 1, loc: str = CURSOR_LOC, platform: str | None = None
    ) -> PageNumberCursor:
        data = decode_cursor(cursor, loc=loc, platform=platform)
        return cls(_count({"page": first, **data}, "page", first, loc, platform), _filters(data, loc, platform))

    def next(self, received: int, *, last_page: int | None = None, per_page: int | None = None) -> str | None:
        """The cursor of the following page (by `last_page`, else while pages come back full)."""
        if received == 0 or (last_page is not None and self.page >= last_page):
            return None
        if per_page is not None and received < per_page:
            return None
        return encode_cursor({"page": self.page + 1, "filters": self.filters})


@dataclass(frozen=True, slots=True)
class LinkCursor:
    """Next-link paging: the cursor carries the next page's URL, which must lie under `base`."""

    url: str | None = None

    @classmethod
    def decode(cls, cursor: str | None, *, base: str, loc: str = CURSOR_LOC, platform: str | None = None) -> LinkCursor:
        data = decode_cursor(cursor, loc=loc, platform=platform)
        url = data.get("url")
        if url is None and not data:
            return cls()
        if not isinstance(url, str) or not _under(url, base):
            raise _refuse(loc, platform)
        return cls(url)

    @staticmethod
    def next(url: str | None) -> str | None:
        return None if not url else encode_cursor({"url": url})


def _under(url: str, base: str) -> bool:
    target, root = httpx.URL(url), httpx.URL(base)
    same_origin = (target.scheme, target.host, target.port) == (root.scheme, root.host, root.port)
    return same_origin and (target.path == root.path or target.path.startswith(root.path.rstrip("/") + "/"))


def next_link(response: httpx.Response) -> str | None:
    """The `rel="next"` URL of a response's Link header (RFC 8288), if any."""
    return response.links.get("next", {}).get("url")


def relay(connection: Mapping[str, Any]) -> Step[Any, str]:
    """A GraphQL cursor connection (`nodes`, `pageInfo { hasNextPage endCursor }`) as a step."""
    info = connection["pageInfo"]
    return list(connection["nodes"]), (info["endCursor"] if info["hasNextPage"] else None)


async def stream(
    fetch: Callable[[C | None], Awaitable[Step[T, C]]], start: C | None = None, *, first: Step[T, C] | None = None
) -> AsyncIterator[T]:
    """Every item, page by page: `fetch(position)` returns a page's items and the next position.

    `first` is a page already in hand (a connection fetched inline with its parent).
    """
    step = first if first is not None else await fetch(start)
    while True:
        items, position = step
        for item in items:
            yield item
        if position is None:
            return
        step = await fetch(position)


class _Paged(Protocol):
    """List params: a pydantic model with a `cursor` field."""

    @property
    def cursor(self) -> str | None: ...

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any: ...


P = TypeVar("P", bound=_Paged)


def each_item(list_page: Callable[[P], Awaitable[Page[T]]], params: P) -> AsyncIterator[T]:
    """Every item a list function (`(params) -> Page`) returns, following `next_cursor` from `params`."""

    async def fetch(cursor: str | None) -> Step[T, str]:
        page = await list_page(params.model_copy(update={"cursor": cursor}))
        return page.items, page.next_cursor

    return stream(fetch, params.cursor)
