"""Relay connections over lists ordered by id: cursors are opaque, `first` is bounded by 250."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from fusionhub_shopify.sandbox.state import number

MAX_PAGE = 250


def cursor(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"id:{number(obj['id'])}".encode()).decode()


def _after(value: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(value.encode()).decode().removeprefix("id:"))
    except ValueError:
        raise GraphQLError("Invalid cursor for current pagination sort.") from None


def connection(items: Sequence[dict[str, Any]], first: int | None, after: str | None, *, bulk: bool) -> dict[str, Any]:
    """A page of `items` (sorted by id). Bulk queries read whole connections, unsized."""
    if not bulk:
        if first is None:
            raise GraphQLError("you must provide one of first or last")
        if first > MAX_PAGE:
            raise GraphQLError(f"The first argument must be at most {MAX_PAGE}")
    start = 0
    if after:
        last = _after(after)
        start = next((i for i, obj in enumerate(items) if number(obj["id"]) > last), len(items))
    stop = len(items) if bulk or first is None else start + first
    page = list(items[start:stop])
    return {
        "edges": [{"cursor": cursor(obj), "node": obj} for obj in page],
        "nodes": page,
        "pageInfo": {
            "hasNextPage": stop < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursor(page[0]) if page else None,
            "endCursor": cursor(page[-1]) if page else None,
        },
    }
