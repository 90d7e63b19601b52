"""A GraphQL request's calculated cost, from its document and variables (and, after the fact, its data).

Cost-priced GraphQL APIs walk the selection: an object field costs a price, a connection or
list sized by `first`/`last` a base plus its size times one item, each top-level mutation field a
flat price. `GraphQLCost` holds one API's prices; the walk (fragments, aliases, `edges`/`nodes`)
is core's. The *requested* cost assumes every object present and every list full (what a bucket
must hold before the request runs); the *actual* cost walks the data that came back.
graphql-core is imported on first use: install `fusionhub[graphql]` (or depend on graphql-core).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql import DocumentNode, FieldNode, SelectionSetNode

__all__ = ["GraphQLCost"]

_UNSEEN = object()  # the data before the request ran: every object present, every list full


@cache
def _parse(text: str) -> DocumentNode:
    from graphql import parse

    return parse(text, no_location=True)


@dataclass(frozen=True, slots=True)
class GraphQLCost:
    """One API's prices: `requested(text, variables)`, `actual(text, variables, data)`, `largest_size(...)`."""

    object: int = 1
    connection: int = 2
    mutation: int = 10
    size_args: tuple[str, ...] = ("first", "last")
    free: tuple[str, ...] = ("pageInfo",)  # unsized object fields priced with their connection
    limit: int | None = None  # the most one request may cost

    def requested(self, text: str, variables: Mapping[str, Any] | None = None) -> int:
        """What the API reserves before running the request."""
        return self._cost(text, variables, _UNSEEN)

    def actual(self, text: str, variables: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> int:
        """What the request really cost, counted over the data that came back."""
        return self._cost(text, variables, dict(data or {}))

    def largest_size(
        self, text: str, variables: Mapping[str, Any], key: str, wanted: int, budget: int | None = None
    ) -> int:
        """The largest value of size variable `key` (≤ wanted, ≥ 1) keeping the request within `budget`."""
        budget = self.limit if budget is None else budget
        base = self.requested(text, {**variables, key: 0})
        per_item = self.requested(text, {**variables, key: 1}) - base
        if per_item <= 0 or budget is None:
            return wanted
        return max(1, min(wanted, (budget - base) // per_item))

    def _cost(self, text: str, variables: Mapping[str, Any] | None, data: Any) -> int:
        from graphql import get_operation_ast

        doc = _parse(text)
        op = get_operation_ast(doc)
        if op is None:
            raise ValueError("a priced document holds exactly one operation")
        walker = _Walker(self, doc, variables or {})
        top = walker.fields(op.selection_set)
        return self.mutation * len(top) if op.operation.value == "mutation" else walker.cost(top, data)


class _Walker:
    def __init__(self, prices: GraphQLCost, doc: DocumentNode, variables: Mapping[str, Any]) -> None:
        from graphql import FragmentDefinitionNode

        self.prices = prices
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
            if arg.name.value in self.prices.size_args:
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
        if field.selection_set is None:  # scalars and enums are free
            return 0
        key = field.alias.value if field.alias else field.name.value
        value = parent if parent is _UNSEEN else parent.get(key) if isinstance(parent, dict) else None
        size = self.size(field)
        prices = self.prices
        if size is None:
            if field.name.value in prices.free:
                return 0
            item = value[0] if isinstance(value, list) and value else value
            return prices.object + (self.cost(self.fields(field.selection_set), item) if item else 0)
        fields, items = self.items(field, value)
        if value is _UNSEEN:
            return prices.connection + size * (prices.object + self.cost(fields, _UNSEEN))
        return prices.connection + sum(prices.object + self.cost(fields, item) for item in items)
