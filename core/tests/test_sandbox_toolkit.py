"""The sandbox toolkit on a small fake platform of its own: routes, log, faults, bucket, base, credentials."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from fusionhub.capabilities import Capability
from fusionhub.clock import VirtualClock
from fusionhub.sandbox import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Faults,
    Reply,
    RequestLog,
    RouteTable,
    Sandbox,
    SandboxBase,
    SandboxBucket,
    SlidingWindow,
    TokenWindow,
    Window,
    form_fields,
    multipart_fields,
)

Handler = Callable[["Toy", httpx.Request, dict[str, str]], httpx.Response]


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"problem": message})


def _missing(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    if allowed:
        return httpx.Response(405, json={"problem": f"use {'/'.join(allowed)}"}, headers={"Allow": ", ".join(allowed)})
    return _error(404, f"nothing at {path}")


def _headers(windows: Mapping[str, Window]) -> dict[str, str]:
    return {"x-left": str(int(windows["second"].remaining)), "x-left-minute": str(int(windows["minute"].remaining))}


class Toy(SandboxBase):
    """A platform of items: `rate` requests/s (as a burst too) and 5 a minute per API key."""

    slug = "toy"

    def __init__(self, clock: VirtualClock, rate: float = 2.0) -> None:
        bucket: SandboxBucket[Window] = SandboxBucket(
            clock,
            lambda now: {"second": TokenWindow.full(rate, rate, now), "minute": SlidingWindow(5.0, 60.0)},
            key=lambda request: request.headers.get("x-key", ""),
            headers=_headers,
        )
        super().__init__(clock, faults=Faults(error=_error), bucket=bucket)
        self.items: dict[str, dict[str, Any]] = {"1": {"id": "1", "name": "one"}}

    def serve(self, request: httpx.Request) -> httpx.Response:
        refused = self.bucket.admit(request)
        if refused is not None:
            return refused
        route, params = ROUTES.find(request.method, request.url.path)
        response = self.faults.apply(route.name, request, lambda: route.handler(self, request, params))
        response.headers.update(self.bucket.headers(request))
        return response

    def get_item(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        item = self.items.get(params["id"])
        if item is None:
            raise Reply(_error(404, "no such item"))
        return httpx.Response(200, json=item)

    def put_item(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        self.items[params["id"]] = {"id": params["id"], **json.loads(request.content)}
        return httpx.Response(200, json=self.items[params["id"]])

    def credentials(self) -> dict[str, str]:
        return {"api_key": SANDBOX_CLIENT_ID}

    def store_config(self) -> dict[str, Any]:
        return {}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        return None


ROUTES: RouteTable[Handler] = RouteTable(
    [("GET", "/items/{id}", Toy.get_item), ("PUT", "/items/{id}", Toy.put_item)], missing=_missing
)


def _get(path: str, key: str = "a") -> httpx.Request:
    return httpx.Request("GET", f"https://toy.test{path}", headers={"x-key": key})


def _put(path: str, body: dict[str, Any], key: str = "a") -> httpx.Request:
    return httpx.Request("PUT", f"https://toy.test{path}", headers={"x-key": key}, json=body)


# --- routes ------------------------------------------------------------------------------------


def test_a_route_gives_its_handler_and_path_parameters() -> None:
    table: RouteTable[str] = RouteTable(
        [("GET", "/shops/{shop}/items/{item}", "item"), ("GET", "/shops/{shop}", "shop")]
    )
    route, params = table.find("GET", "/shops/7/items/a-b.c")
    assert (route.handler, params, route.name) == (
        "item",
        {"shop": "7", "item": "a-b.c"},
        "GET /shops/{shop}/items/{item}",
    )
    with pytest.raises(Reply) as missing:
        table.find("GET", "/shops/7/items/a/b")  # a parameter is one segment
    assert missing.value.response.status_code == 404


def test_a_known_path_under_another_method_is_a_405_in_the_platforms_format() -> None:
    toy = Toy(VirtualClock())
    response = toy.handle(httpx.Request("DELETE", "https://toy.test/items/1", headers={"x-key": "a"}))
    assert response.status_code == 405 and response.headers["Allow"] == "GET, PUT"
    assert response.json() == {"problem": "use GET/PUT"}
    assert toy.handle(_get("/nowhere")).json() == {"problem": "nothing at /nowhere"}


def test_template_characters_are_literal() -> None:
    table: RouteTable[str] = RouteTable([("POST", "/api/{version}/graphql.json", "gql")])
    assert table.find("POST", "/api/2025-01/graphql.json")[1] == {"version": "2025-01"}
    with pytest.raises(Reply):
        table.find("POST", "/api/2025-01/graphqlXjson")


# --- the request log and the base -----------------------------------------------------------------


def test_the_log_keeps_every_request_with_its_clock_time() -> None:
    clock = VirtualClock()
    toy = Toy(clock)
    toy.handle(_get("/items/1"))
    clock.advance(1.5)
    toy.handle(_put("/items/2", {"name": "two"}))
    assert [r.method for r in toy.requests] == ["GET", "PUT"]
    assert toy.received_at == [clock.start, clock.start + 1.5]
    assert [r.url.path for r in toy.requests.matching("PUT", "/items/{id}")] == ["/items/2"]
    assert toy.requests.matching(path="/items/1") == [toy.requests[0]]
    toy.requests.clear()
    assert toy.requests == [] and toy.received_at == []


def test_a_reply_raised_in_a_handler_answers_the_request() -> None:
    toy = Toy(VirtualClock())
    response = toy.handle(_get("/items/9"))
    assert response.status_code == 404 and response.json() == {"problem": "no such item"}


def test_a_toolkit_sandbox_keeps_the_protocol_and_serves_a_client() -> None:
    clock = VirtualClock()
    toy = Toy(clock)
    assert isinstance(toy, Sandbox) and isinstance(toy.requests, RequestLog)

    async def main() -> httpx.Response:
        async with httpx.AsyncClient(transport=toy.transport(), base_url="https://toy.test") as client:
            return await client.get("/items/1", headers={"x-key": "a"})

    response = clock.run(main())
    assert response.json() == {"id": "1", "name": "one"} and len(toy.requests) == 1 and toy.throttled == 0


# --- faults ----------------------------------------------------------------------------------------


def test_a_status_fault_hits_only_its_target_in_the_platforms_format() -> None:
    toy = Toy(VirtualClock(), rate=10)
    toy.faults.fail(503, on="PUT /items/{id}", headers={"retry-after": "2"}, times=2)
    assert toy.handle(_get("/items/1")).status_code == 200
    for _ in range(2):
        failed = toy.handle(_put("/items/1", {"name": "x"}))
        assert failed.status_code == 503 and failed.headers["retry-after"] == "2"
        assert failed.json() == {"problem": "Service Unavailable"}
    assert toy.items["1"]["name"] == "one"  # nothing applied
    assert toy.handle(_put("/items/1", {"name": "x"})).status_code == 200


def test_faults_fire_in_the_order_they_were_armed() -> None:
    toy = Toy(VirtualClock(), rate=10)
    toy.faults.fail(500, message="first")
    toy.faults.fail(502, message="second")
    assert [toy.handle(_get("/items/1")).json() for _ in range(3)] == [
        {"problem": "first"},
        {"problem": "second"},
        {"id": "1", "name": "one"},
    ]


@pytest.mark.parametrize(("kind", "error"), [("timeout", httpx.ReadTimeout), ("reset", httpx.RemoteProtocolError)])
def test_a_network_error_reaches_the_client_before_the_change(kind: str, error: type[Exception]) -> None:
    toy = Toy(VirtualClock())
    toy.faults.inject(kind)
    with pytest.raises(error):
        toy.handle(_put("/items/1", {"name": "changed"}))
    assert toy.items["1"]["name"] == "one"


def test_a_lost_response_comes_after_the_change_was_applied() -> None:
    toy = Toy(VirtualClock())
    toy.faults.lose("timeout", on="PUT /items/{id}")
    with pytest.raises(httpx.ReadTimeout):
        toy.handle(_put("/items/1", {"name": "changed"}))
    assert toy.items["1"]["name"] == "changed"  # applied: the client cannot tell
    assert toy.handle(_put("/items/1", {"name": "again"})).status_code == 200


def test_a_slow_response_arrives_late_on_the_sandbox_clock() -> None:
    clock = VirtualClock()
    toy = Toy(clock)
    toy.faults.slow(30.0)

    async def main() -> list[float]:
        arrived = []
        async with httpx.AsyncClient(transport=toy.transport(), base_url="https://toy.test") as client:
            for _ in range(2):
                await client.get("/items/1", headers={"x-key": "a"})
                arrived.append(clock.elapsed)
        return arrived

    assert clock.run(main()) == pytest.approx([30.0, 30.0])
    assert toy.received_at[0] == clock.start  # received at once, answered 30 s later


def test_named_faults_include_the_platforms_own() -> None:
    faults = Faults(kinds={"garbled": lambda request, handler: httpx.Response(200, content=b"{")})
    faults.inject("garbled", 2)
    faults.inject("5xx")
    request = _get("/x")
    answers = [faults.apply("any", request, lambda: httpx.Response(204)).status_code for _ in range(4)]
    assert answers == [200, 200, 503, 204]
    with pytest.raises(KeyError):
        faults.inject("unheard-of")


# --- the bucket --------------------------------------------------------------------------------------


def test_the_bucket_answers_429_with_the_platforms_headers_and_refills_on_the_clock() -> None:
    clock = VirtualClock()
    toy = Toy(clock)
    statuses = [toy.handle(_get("/items/1")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429] and toy.throttled == 1
    refused = toy.handle(_get("/items/1"))
    assert refused.headers["Retry-After"] == "0.500" and refused.headers["x-left"] == "0"
    assert refused.headers["x-left-minute"] == "3"
    clock.advance(0.5)
    assert toy.handle(_get("/items/1")).headers["x-left"] == "0"  # the one token that came back
    assert toy.throttled == 2


def test_the_bucket_counts_per_key() -> None:
    toy = Toy(VirtualClock())
    assert [toy.handle(_get("/items/1", key="a")).status_code for _ in range(3)] == [200, 200, 429]
    assert [toy.handle(_get("/items/1", key="b")).status_code for _ in range(2)] == [200, 200]


def test_a_sliding_window_refuses_until_its_oldest_spend_leaves() -> None:
    clock = VirtualClock()
    toy = Toy(clock)
    for _ in range(5):
        assert toy.handle(_get("/items/1")).status_code == 200
        clock.advance(1.0)
    refused = toy.handle(_get("/items/1"))
    assert refused.status_code == 429 and refused.headers["x-left-minute"] == "0"
    assert float(refused.headers["Retry-After"]) == pytest.approx(55.0)  # the first spend was 60 s ago at 60.0
    clock.advance(55.0)
    assert toy.handle(_get("/items/1")).status_code == 200


def test_costs_are_charged_up_front_and_refunded() -> None:
    clock = VirtualClock()
    bucket: SandboxBucket[TokenWindow] = SandboxBucket(clock, lambda now: {"cost": TokenWindow.full(100.0, 10.0, now)})
    request = _get("/x")
    assert bucket.take(request, 80.0) == 0.0
    assert bucket.take(request, 30.0) == pytest.approx(1.0)  # 10 missing at 10/s
    bucket.refund(request, 70.0)  # it cost 10 in the end
    assert bucket.windows("")["cost"].tokens == pytest.approx(90.0)
    assert bucket.take(request, 1000.0) == float("inf")  # can never fit
    assert bucket.throttled == 2


def test_a_sandbox_without_a_bucket_never_throttles() -> None:
    class Open(SandboxBase):
        slug = "open"

        def serve(self, request: httpx.Request) -> httpx.Response:
            return self.bucket.admit(request) or httpx.Response(204)

    sandbox = Open(VirtualClock())
    assert {sandbox.handle(_get("/")).status_code for _ in range(1000)} == {204} and sandbox.throttled == 0


# --- bodies and credentials -----------------------------------------------------------------------


def test_form_and_multipart_bodies_are_read_as_platforms_read_them() -> None:
    form = httpx.Request("POST", "https://toy.test/", data={"a": ["1", "2"], "blank": ""})
    assert form_fields(form) == {"a": ["1", "2"], "blank": [""]}
    upload = httpx.Request("POST", "https://toy.test/", data={"rank": "2"}, files={"image": ("i.png", b"\x89PNG")})
    upload.read()  # as a transport does before its handler runs
    assert multipart_fields(upload) == {"rank": b"2", "image": b"\x89PNG"}
    assert multipart_fields(form) == {}


def test_the_fixed_credentials_are_distinct_and_distinctive() -> None:
    values = [SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_ACCESS_TOKEN, SANDBOX_REFRESH_TOKEN]
    assert len(set(values)) == 4 and all(v.startswith("fhsbx-") and len(v) >= 20 for v in values)


def test_concurrent_clients_share_one_bucket() -> None:
    clock = VirtualClock()
    toy = Toy(clock)

    async def main() -> list[int]:
        async with httpx.AsyncClient(transport=toy.transport(), base_url="https://toy.test") as client:
            responses = await asyncio.gather(*(client.get("/items/1", headers={"x-key": "a"}) for _ in range(4)))
        return [r.status_code for r in responses]

    assert sorted(clock.run(main())) == [200, 200, 429, 429] and toy.throttled == 2
