"""Paging helpers against real HTTP exchanges (httpx.MockTransport): cursor, offset, page number, next link."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from fusionhub.errors import ValidationError
from fusionhub.models import Page
from fusionhub.paging import (
    LinkCursor,
    OffsetCursor,
    PageNumberCursor,
    Step,
    decode_cursor,
    each_item,
    encode_cursor,
    next_link,
    relay,
    stream,
)
from fusionhub.params import ListProductsParams

ITEMS = [{"id": i} for i in range(1, 12)]  # 11 items: pages of 4 end on a short one
API = "https://api.test/v1"


def run(main: Any) -> Any:
    return asyncio.run(main)


class Server:
    """One listing served four ways; records every request it answered."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        q = request.url.params
        if request.url.path == "/v1/graphql":  # Relay connection, cursor = last id seen
            after, first = int(q.get("after") or 0), 4
            chunk = [i for i in ITEMS if i["id"] > after][:first]
            more = bool(chunk) and chunk[-1]["id"] < ITEMS[-1]["id"]
            info = {"hasNextPage": more, "endCursor": str(chunk[-1]["id"]) if chunk else None}
            return httpx.Response(200, json={"data": {"items": {"nodes": chunk, "pageInfo": info}}})
        if request.url.path == "/v1/offset":
            offset, limit = int(q["offset"]), int(q["limit"])
            return httpx.Response(200, json={"results": ITEMS[offset : offset + limit], "count": len(ITEMS)})
        if request.url.path == "/v1/pages":
            page, per_page = int(q["page"]), int(q["per_page"])
            last = -(-len(ITEMS) // per_page)
            return httpx.Response(200, json={"data": ITEMS[(page - 1) * per_page : page * per_page], "last_page": last})
        if request.url.path == "/v1/linked":
            start = int(q.get("from", 0))
            headers = {}
            if start + 4 < len(ITEMS):
                headers["Link"] = f'<{API}/linked?from={start + 4}>; rel="next", <{API}/linked>; rel="first"'
            return httpx.Response(200, json=ITEMS[start : start + 4], headers=headers)
        return httpx.Response(404)


@pytest.fixture
def server() -> Server:
    return Server()


def client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=API + "/", transport=httpx.MockTransport(server.handle))


def test_cursor_api_streams_a_relay_connection(server: Server) -> None:
    async def main() -> list[Any]:
        async with client(server) as http:

            async def fetch(after: str | None) -> Step[Any, str]:
                response = await http.post("graphql", params={"after": after or ""}, json={})
                return relay(response.json()["data"]["items"])

            return [item async for item in stream(fetch)]

    assert run(main()) == ITEMS
    assert [r.url.params["after"] for r in server.requests] == ["", "4", "8"]


def test_a_page_already_in_hand_is_not_fetched_again(server: Server) -> None:
    async def fetch(after: str | None) -> Step[Any, str]:
        raise AssertionError("the only page was given")

    async def main() -> list[Any]:
        return [x async for x in stream(fetch, first=relay({"nodes": [1, 2], "pageInfo": {"hasNextPage": False}}))]

    assert run(main()) == [1, 2]


def test_offset_api_through_a_list_function_keeps_its_filters(server: Server) -> None:
    async def list_page(params: ListProductsParams) -> Page[Any]:
        at = (
            OffsetCursor.decode(params.cursor)
            if params.cursor
            else OffsetCursor(filters={"state": params.status or "active"})
        )
        async with client(server) as http:
            body = (await http.get("offset", params={"offset": at.offset, "limit": params.limit, **at.filters})).json()
        results = body["results"]
        return Page[Any](items=results, next_cursor=at.next(len(results), total=body["count"]))

    async def main() -> list[Any]:
        return [x async for x in each_item(list_page, ListProductsParams(limit=4, status="draft"))]

    assert run(main()) == ITEMS
    assert [(r.url.params["offset"], r.url.params["state"]) for r in server.requests] == [
        ("0", "draft"),
        ("4", "draft"),
        ("8", "draft"),
    ]
    first = run(list_page(ListProductsParams(limit=4)))
    assert first.next_cursor and "offset" not in first.next_cursor  # opaque
    assert OffsetCursor.decode(first.next_cursor) == OffsetCursor(4, {"state": "active"})


def test_offset_without_a_total_stops_at_a_short_page() -> None:
    at = OffsetCursor(8)
    assert at.next(4, limit=4) is not None and at.next(3, limit=4) is None and at.next(0) is None


def test_page_number_api(server: Server) -> None:
    async def main() -> list[Any]:
        async with client(server) as http:

            async def fetch(cursor: str | None) -> Step[Any, str]:
                at = PageNumberCursor.decode(cursor)
                body = (await http.get("pages", params={"page": at.page, "per_page": 5})).json()
                return body["data"], at.next(len(body["data"]), last_page=body["last_page"])

            return [item async for item in stream(fetch)]

    assert run(main()) == ITEMS
    assert [r.url.params["page"] for r in server.requests] == ["1", "2", "3"]
    assert PageNumberCursor(2).next(5, per_page=5) is not None and PageNumberCursor(2).next(4, per_page=5) is None
    assert PageNumberCursor.decode(None, first=0).page == 0


def test_next_link_api_follows_rel_next_under_the_base(server: Server) -> None:
    async def main() -> list[Any]:
        async with client(server) as http:

            async def fetch(cursor: str | None) -> Step[Any, str]:
                url = LinkCursor.decode(cursor, base=API).url or f"{API}/linked"
                response = await http.get(url)
                return response.json(), LinkCursor.next(next_link(response))

            return [item async for item in stream(fetch)]

    assert run(main()) == ITEMS
    assert [r.url.params.get("from") for r in server.requests] == [None, "4", "8"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        encode_cursor({"offset": -4}),
        encode_cursor({"offset": "4"}),
        encode_cursor({"offset": 4, "filters": ["x"]}),
        "WzEsMiwzXQ",  # a JSON list, not a position
    ],
)
def test_a_bad_offset_cursor_is_refused_with_the_field_path(cursor: str) -> None:
    with pytest.raises(ValidationError) as caught:
        OffsetCursor.decode(cursor, platform="shop")
    assert caught.value.errors == [{"loc": "params.cursor", "msg": "not a cursor returned by this plugin"}]
    assert caught.value.platform == "shop"


@pytest.mark.parametrize(
    "url",
    ["https://evil.test/v1/linked", "http://api.test/v1/linked", "https://api.test/v10/x", "https://api.test/admin"],
)
def test_a_next_link_cursor_outside_the_api_is_refused(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LinkCursor.decode(encode_cursor({"url": url}), base=API, loc="cursor")
    assert caught.value.errors[0]["loc"] == "cursor"
    assert LinkCursor.decode(encode_cursor({"url": f"{API}/linked?from=4"}), base=API).url == f"{API}/linked?from=4"


def test_page_number_cursor_below_the_first_page_is_refused() -> None:
    with pytest.raises(ValidationError, match="cursor"):
        PageNumberCursor.decode(encode_cursor({"page": 0}))
    assert decode_cursor(None) == {} and decode_cursor(encode_cursor({"a": [1]})) == {"a": [1]}
