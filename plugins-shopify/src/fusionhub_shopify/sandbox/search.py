"""Shopify's search syntax, the part the sandbox understands: `key:value`, `key:>=value`, AND, OR.

Alternatives split on OR; within one, terms are ANDed. Unknown keys and free text match all,
as a fake should not reject what the real search would accept.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Getter = Callable[[dict[str, Any]], Any]
_OPS = (">=", "<=", ">", "<")


def _value(raw: str) -> Any:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw.lower()


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if isinstance(wanted, datetime):
        if not isinstance(actual, str):
            return False
        actual = datetime.fromisoformat(actual.replace("Z", "+00:00"))
    else:
        actual = str(actual).lower() if actual is not None else ""
    if op == ">=":
        return bool(actual >= wanted)
    if op == "<=":
        return bool(actual <= wanted)
    if op == ">":
        return bool(actual > wanted)
    if op == "<":
        return bool(actual < wanted)
    return bool(actual == wanted)


def _term(token: str, fields: Mapping[str, Getter]) -> Callable[[dict[str, Any]], bool]:
    key, sep, rest = token.partition(":")
    if not sep or key not in fields:
        return lambda _obj: True
    op = next((o for o in _OPS if rest.startswith(o)), "")
    wanted = _value(rest[len(op) :])
    getter = fields[key]
    return lambda obj: _compare(getter(obj), op, wanted)


def matcher(query: str | None, fields: Mapping[str, Getter]) -> Callable[[dict[str, Any]], bool]:
    if not query or not query.strip():
        return lambda _obj: True
    alternatives: list[list[Callable[[dict[str, Any]], bool]]] = [[]]
    for word in shlex.split(query):
        if word == "OR":
            alternatives.append([])
        elif word != "AND":
            alternatives[-1].append(_term(word, fields))
    return lambda obj: any(all(t(obj) for t in terms) for terms in alternatives)
