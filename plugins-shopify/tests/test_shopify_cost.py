"""The query-cost model and the sandbox's enforcement of the bucket (so zero THROTTLED means something)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from fusionhub import VirtualClock
from fusionhub_shopify.cost import MAX_QUERY_COST, actual_cost, largest_first, requested_cost
from fusionhub_shopify.documents import document
from fusionhub_shopify.sandbox import ShopifySandbox


def test_published_rules() -> None:
    assert requested_cost("query { shop { currencyCode } }") == 1
    assert requested_cost("query { products(first: 10) { nodes { id title } } }") == 2 + 10 * 1
    nested = (
        "query { products(first: 10) { edges { node { title variants(first: 5) { edges { node { price } } } } } } }"
    )
    assert requested_cost(nested) == 2 + 10 * (1 + 2 + 5 * 1)
    assert requested_cost("mutation { a: productDelete(input: {id: 1}) { deletedProductId } }") == 10
    assert (
        requested_cost("query($n: Int!) { products(first: $n) { pageInfo { hasNextPage } nodes { id } } }", {"n": 3})
        == 5
    )


def test_actual_cost_counts_what_came_back() -> None:
    text = "query { products(first: 50) { nodes { id variants(first: 10) { nodes { id } } } } }"
    data = {"products": {"nodes": [{"id": "1", "variants": {"nodes": [{"id": "v"}]}}]}}
    assert requested_cost(text) == 2 + 50 * (1 + 2 + 10)
    assert actual_cost(text, None, data) == 2 + (1 + 2 + 1)


def test_page_sizes_keep_every_listing_under_the_single_query_limit() -> None:
    for name, variables in [("Products", {"variantsFirst": 10}), ("Orders", {"linesFirst": 10})]:
        text = document(name).text
        first = largest_first(text, variables, "first", 250)
        assert requested_cost(text, {**variables, "first": first}) <= MAX_QUERY_COST
        assert requested_cost(text, {**variables, "first": first + 1}) > MAX_QUERY_COST


def test_the_plugin_module_imports_no_graphql_and_no_sandbox() -> None:
    code = (
        "import sys, fusionhub_shopify.plugin as p; p.fusionhub_manifest(); "
        "print(sorted(m for m in sys.modules if m.startswith(('graphql', 'fusionhub_shopify.sandbox'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.strip() == "[]"


def _raw(sandbox: ShopifySandbox, query: str, variables: dict[str, object]) -> httpx.Response:
    request = httpx.Request(
        "POST",
        f"https://{sandbox.shop}/admin/api/2025-01/graphql.json",
        headers={"X-Shopify-Access-Token": sandbox.credentials()["access_token"]},
        content=json.dumps({"query": query, "variables": variables}).encode(),
    )
    return sandbox.handle(request)


def test_the_sandbox_throttles_a_client_that_ignores_the_bucket() -> None:
    sandbox = ShopifySandbox(VirtualClock(), plan="standard", products=300)
    text = document("Products").text
    variables = {"first": 29, "variantsFirst": 10}
    bodies = [_raw(sandbox, text, variables).json() for _ in range(6)]
    # 2,000 points; each page reserves 988 and keeps 292 (29 products × 2 variants): the fifth no longer fits.
    assert [("errors" in b) for b in bodies] == [False, False, False, False, True, True]
    assert [b["extensions"]["cost"]["actualQueryCost"] for b in bodies[:4]] == [292] * 4
    throttled = bodies[4]
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED" and "data" not in throttled
    status = throttled["extensions"]["cost"]["throttleStatus"]
    assert status["maximumAvailable"] == 2000 and status["restoreRate"] == 100
    assert status["currentlyAvailable"] < 988
    ok = bodies[0]["extensions"]["cost"]
    assert ok["requestedQueryCost"] == 988 and ok["actualQueryCost"] < 988  # refunded to what was read
    assert sandbox.throttled == 2


def test_the_sandbox_refuses_a_query_over_the_single_query_limit() -> None:
    sandbox = ShopifySandbox(VirtualClock(), products=1)
    body = _raw(sandbox, document("Products").text, {"first": 250, "variantsFirst": 10}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


@pytest.mark.parametrize(
    ("plan", "capacity"), [("standard", 2000), ("advanced", 4000), ("plus", 20000), ("enterprise", 40000)]
)
def test_the_sandbox_bucket_is_twenty_seconds_of_the_plan_rate(plan: str, capacity: int) -> None:
    sandbox = ShopifySandbox(VirtualClock(), plan=plan, products=1)
    status = _raw(sandbox, "query { shop { currencyCode } }", {}).json()["extensions"]["cost"]["throttleStatus"]
    assert status["maximumAvailable"] == capacity and status["restoreRate"] == capacity / 20
