"""A route table: method + path template -> handler, with path parameters and 404/405 in the platform's format.

Templates name their parameters in braces (`listings/{listing_id}`); a parameter matches one path
segment. A path no route matches is answered by the table's `missing` hook with no allowed
methods (a 404); a path some route matches under another method, with those methods (a 405).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from fusionhub.sandbox.reply import Reply

H = TypeVar("H")
Missing = Callable[[str, str, tuple[str, ...]], httpx.Response]
"""`missing(method, path, allowed_methods)`: the platform's answer when no route serves the request."""

_PARAM = re.compile(r"\{(\w+)\}")


def compile_template(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)  # literal, name, literal, name, ...
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)))


def plain_missing(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    if allowed:
        return httpx.Response(405, text="Method Not Allowed", headers={"Allow": ", ".join(allowed)})
    return httpx.Response(404, text="Not Found")


@dataclass(frozen=True, slots=True)
class Route(Generic[H]):
    method: str
    template: str
    handler: H
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        """`METHOD template`: how a fault or a log query names this route."""
        return f"{self.method} {self.template}"


class RouteTable(Generic[H]):
    """The platform's routes as data; `find` returns the route serving a request and its path parameters."""

    def __init__(self, routes: Iterable[tuple[str, str, H]], *, missing: Missing = plain_missing) -> None:
        self.routes = [Route(method, path, handler, compile_template(path)) for method, path, handler in routes]
        self.missing = missing

    def find(self, method: str, path: str) -> tuple[Route[H], dict[str, str]]:
        """The route of `method path` and its parameters; raises Reply with `missing`'s answer if none."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed.append(route.method)
        raise Reply(self.missing(method, path, tuple(allowed)))
