"""Shopify's calculated query cost, from a document and its variables (and, after the fact, its data).

Published rules: scalars and enums 0, an object 1, a connection or sized list 2 plus `first`
times the cost of one item, each mutation field 10. The requested cost is what the bucket must
hold before a request runs; the actual cost (same rules over what came back) is what it keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # graphql-core is imported on first use: the plugin module stays light
    from graphql import DocumentNode, FieldNode, SelectionSetNode

MUTATION_COST = 10
CONNECTION_COST = 2
OBJECT_COST = 1
MAX_QUERY_COST = 1000
_UNSEEN = object()  # the data before the request ran: every object present, every list full


@cache
def _parse(text: str) -> DocumentNode:
    from graphql import parse

    return parse(text, no_location=True)


class _Walker:
    def __init__(self, doc: DocumentNode, variables: Mapping[str, Any]) -> None:
        from graphql import FragmentDefinitionNode

        self.variables = dict(variables)
        self.fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

        out: list[FieldNode] = []
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                out += self.fields(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                out += self.fields(self.fragments[sel.name.value].selection_set)
        return out

    def size(self, field: FieldNode) -> int | None:
        from graphql import Undefined, value_from_ast_untyped

        for arg in field.arguments or ():
            if arg.name.value in ("first", "last"):
                value = value_from_ast_untyped(arg.value, self.variables)
                return None if value is None or value is Undefined else int(value)
        return None

    def items(self, field: FieldNode, value: Any) -> tuple[list[FieldNode], list[Any]]:
        """The fields of one item of a sized field, and the items that came back (of a list or a connection)."""
        children = self.fields(field.selection_set)
        if not {f.name.value for f in children} & {"edges", "nodes"}:
            return children, value if isinstance(value, list) else [] if value is None else [value]
        fields: list[FieldNode] = []
        for child in children:
            if child.name.value == "nodes":
                fields += self.fields(child.selection_set)
            for node in self.fields(child.selection_set) if child.name.value == "edges" else ():
                fields += self.fields(node.selection_set) if node.name.value == "node" else []
        if not isinstance(value, dict):
            return fields, []
        nodes = value.get("nodes")
        return fields, nodes if isinstance(nodes, list) else [e.get("node") for e in value.get("edges") or []]

    def cost(self, fields: list[FieldNode], data: Any) -> int:
        return sum(self.field_cost(f, data) for f in fields)

    def field_cost(self, field: FieldNode, parent: Any) -> int:
        if field.selection_set is None:
            return 0
        key = field.alias.value if field.alias else field.name.value
        value = parent if parent is _UNSEEN else parent.get(key) if isinstance(parent, dict) else None
        size = self.size(field)
        if size is None:
            if field.name.value == "pageInfo":  # part of its connection's price
                return 0
            item = value[0] if isinstance(value, list) and value else value
            return OBJECT_COST + (self.cost(self.fields(field.selection_set), item) if item else 0)
        fields, items = self.items(field, value)
        if value is _UNSEEN:
            return CONNECTION_COST + size * (OBJECT_COST + self.cost(fields, _UNSEEN))
        return CONNECTION_COST + sum(OBJECT_COST + self.cost(fields, item) for item in items)


def _cost(text: str, variables: Mapping[str, Any] | None, data: Any) -> int:
    from graphql import get_operation_ast

    doc = _parse(text)
    op = get_operation_ast(doc)
    assert op is not None  # every document sent holds one operation
    walker = _Walker(doc, variables or {})
    top = walker.fields(op.selection_set)
    return MUTATION_COST * len(top) if op.operation.value == "mutation" else walker.cost(top, data)


def requested_cost(text: str, variables: Mapping[str, Any] | None = None) -> int:
    """What Shopify reserves before running the request."""
    return _cost(text, variables, _UNSEEN)


def actual_cost(text: str, variables: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> int:
    """What the request really cost, counted over the data that came back."""
    return _cost(text, variables, dict(data or {}))


def largest_first(text: str, variables: Mapping[str, Any], key: str, wanted: int, budget: int = MAX_QUERY_COST) -> int:
    """The largest value of the size variable `key` (≤ wanted) that keeps the request within budget."""
    base = requested_cost(text, {**variables, key: 0})
    per_item = requested_cost(text, {**variables, key: 1}) - base
    if per_item <= 0:
        return wanted
    return max(1, min(wanted, (budget - base) // per_item))
