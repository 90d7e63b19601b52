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
    from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, SelectionSetNode

MUTATION_COST = 10
CONNECTION_COST = 2
OBJECT_COST = 1
MAX_QUERY_COST = 1000


@cache
def _parse(text: str) -> DocumentNode:
    from graphql import parse

    return parse(text, no_location=True)


class _Walker:
    def __init__(self, doc: DocumentNode, variables: Mapping[str, Any]) -> None:
        from graphql import FragmentDefinitionNode

        self.variables = variables
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }

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
        from graphql import IntValueNode, VariableNode

        for arg in field.arguments or ():
            if arg.name.value in ("first", "last"):
                if isinstance(arg.value, IntValueNode):
                    return int(arg.value.value)
                if isinstance(arg.value, VariableNode):
                    value = self.variables.get(arg.value.name.value)
                    return int(value) if value is not None else None
        return None

    def item_fields(self, field: FieldNode) -> tuple[list[FieldNode], bool]:
        """The fields of one item of a sized field, and whether it is a connection (edges/nodes)."""
        children = self.fields(field.selection_set)
        names = {f.name.value for f in children}
        if not names & {"edges", "nodes"}:
            return children, False
        items: list[FieldNode] = []
        for child in children:
            if child.name.value == "nodes":
                items += self.fields(child.selection_set)
            elif child.name.value == "edges":
                for edge_field in self.fields(child.selection_set):
                    if edge_field.name.value == "node":
                        items += self.fields(edge_field.selection_set)
        return items, True

    def cost(self, fields: list[FieldNode], data: Any = None, known: bool = False) -> int:
        return sum(self.field_cost(f, data, known) for f in fields)

    def field_cost(self, field: FieldNode, parent: Any, known: bool) -> int:
        if field.selection_set is None:
            return 0
        key = field.alias.value if field.alias else field.name.value
        value = parent.get(key) if known and isinstance(parent, dict) else None
        size = self.size(field)
        if size is None:
            if field.name.value == "pageInfo":  # part of its connection's price
                return 0
            item = value[0] if isinstance(value, list) and value else value
            return OBJECT_COST + (self.cost(self.fields(field.selection_set), item, known) if item or not known else 0)
        item_fields, is_connection = self.item_fields(field)
        if not known:
            return CONNECTION_COST + size * (OBJECT_COST + self.cost(item_fields))
        items = _items(value, is_connection)
        return CONNECTION_COST + sum(OBJECT_COST + self.cost(item_fields, item, True) for item in items)


def _items(value: Any, is_connection: bool) -> list[Any]:
    if value is None:
        return []
    if not is_connection:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    return [edge.get("node") for edge in value.get("edges") or []]


def _operation(doc: DocumentNode) -> Any:
    from graphql import OperationDefinitionNode

    return next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))


def requested_cost(text: str, variables: Mapping[str, Any] | None = None) -> int:
    """What Shopify reserves before running the request."""
    doc = _parse(text)
    op = _operation(doc)
    walker = _Walker(doc, variables or {})
    top = walker.fields(op.selection_set)
    if op.operation.value == "mutation":
        return MUTATION_COST * len(top)
    return walker.cost(top)


def actual_cost(text: str, variables: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> int:
    """What the request really cost, counted over the data that came back."""
    doc = _parse(text)
    op = _operation(doc)
    walker = _Walker(doc, variables or {})
    top = walker.fields(op.selection_set)
    if op.operation.value == "mutation":
        return MUTATION_COST * len(top)
    return walker.cost(top, dict(data or {}), True)


def largest_first(text: str, variables: Mapping[str, Any], key: str, wanted: int, budget: int = MAX_QUERY_COST) -> int:
    """The largest value of the size variable `key` (≤ wanted) that keeps the request within budget."""
    base = requested_cost(text, {**variables, key: 0})
    per_item = requested_cost(text, {**variables, key: 1}) - base
    if per_item <= 0:
        return wanted
    return max(1, min(wanted, (budget - base) // per_item))
