"""GraphQLCost: the selection walk (fragments, aliases, connections, lists) under an API's prices."""

from __future__ import annotations

import pytest

from fusionhub.plugin import GraphQLCost

pytest.importorskip("graphql", reason="GraphQLCost needs fusionhub[graphql]")

PRICES = GraphQLCost(object=1, connection=2, mutation=10, limit=1000)


def test_objects_connections_and_mutations_are_priced_by_the_rules() -> None:
    assert PRICES.requested("query { shop { name } }") == 1
    assert PRICES.requested("query { items(first: 4) { nodes { id } } }") == 2 + 4 * 1
    assert PRICES.requested("query { items(last: 2) { edges { node { tags(first: 3) { id } } } } }") == 2 + 2 * (
        1 + 2 + 3
    )
    assert PRICES.requested("mutation { a: x(id: 1) { id } b: y(id: 2) { id } }") == 20
    assert GraphQLCost(object=3, connection=0, mutation=1).requested("query { shop { owner { id } } }") == 6


def test_fragments_variables_and_free_fields() -> None:
    text = """query($n: Int!) { items(first: $n) { pageInfo { hasNextPage } ...F } }
              fragment F on ItemConnection { nodes { ... on Item { owner { id } } } }"""
    assert PRICES.requested(text, {"n": 5}) == 2 + 5 * (1 + 1)
    shop = "query { shop { meta { id } owner { id } } }"
    assert PRICES.requested(shop) == 3 and GraphQLCost(free=("meta",)).requested(shop) == 2


def test_actual_cost_walks_the_data_that_came_back() -> None:
    text = "query { items(first: 50) { nodes { id owner { id } tags(first: 10) { id } } } }"
    data = {"items": {"nodes": [{"id": "1", "owner": None, "tags": [{"id": "t"}, {"id": "u"}]}]}}
    assert PRICES.requested(text) == 2 + 50 * (1 + 1 + 2 + 10)
    assert PRICES.actual(text, None, data) == 2 + (1 + 1 + 2 + 2)
    assert PRICES.actual(text, None, None) == 2


def test_largest_size_keeps_a_request_within_the_budget() -> None:
    text = "query($first: Int!) { items(first: $first) { nodes { id tags(first: 10) { id } } } }"
    assert PRICES.largest_size(text, {}, "first", 250) == (1000 - 2) // (1 + 2 + 10)
    assert PRICES.largest_size(text, {}, "first", 5) == 5
    assert PRICES.largest_size(text, {}, "first", 250, budget=20) == 1
    assert GraphQLCost().largest_size(text, {}, "first", 250) == 250  # no limit: what was wanted


def test_a_document_without_one_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly one operation"):
        PRICES.requested("query A { a { id } } query B { b { id } }")
