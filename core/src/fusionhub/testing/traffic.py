"""Record what a plugin sends in a test, and check every exchange against the platform's own spec.

Recording sits in core's `LimitedTransport`, under every store client and after the auth flow
set the headers, so a sandbox run and a respx-mocked run are recorded alike: what would go over
the wire, and what came back.

A plugin's conftest turns its spec check into an autouse fixture with `TrafficCheck`:

    CHECK = TrafficCheck("acme", "Acme's OpenAPI document", load=load_spec, validate=validate)
    acme_conformance = CHECK.fixture()
    pytest_terminal_summary = CHECK.summary

`load()` returns the parsed spec, or None when it is absent (the check is then skipped, and
failed under CI, where `shared/specs` is always laid out); `validate(spec, exchange)` returns the
exchange's problems as strings. Each test's traffic is validated when the test ends; a mismatch
fails that test, naming the request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["Exchange", "TrafficCheck", "record_traffic"]

Spec = TypeVar("Spec")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as sent, and its answer's status and body (None / empty when not recorded)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    answer: bytes = b""

    @classmethod
    def of(cls, request: httpx.Request, response: httpx.Response | None = None) -> Exchange:
        if response is None:
            return cls(request.method, str(request.url), dict(request.headers), request.content)
        return cls(
            request.method,
            str(request.url),
            dict(request.headers),
            request.content,
            response.status_code,
            response.content,
        )


@contextmanager
def record_traffic() -> Iterator[list[Exchange]]:
    """Every exchange of every store client while the block runs, in order."""
    from fusionhub.http.transport import LimitedTransport

    seen: list[Exchange] = []
    original = LimitedTransport.handle_async_request

    async def recording(self: LimitedTransport, request: httpx.Request) -> httpx.Response:
        await request.aread()
        seen.append(Exchange.of(request))  # kept even when sending raises
        at = len(seen) - 1
        response = await original(self, request)
        await response.aread()
        seen[at] = Exchange.of(request, response)
        return response

    LimitedTransport.handle_async_request = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        LimitedTransport.handle_async_request = original  # type: ignore[method-assign]


class TrafficCheck(Generic[Spec]):
    """A test's traffic validated against a spec when the test ends; totals for the session."""

    def __init__(
        self,
        label: str,
        source: str,
        *,
        load: Callable[[], Spec | None],
        validate: Callable[[Spec, Exchange], Iterable[str]],
        shown: int = 20,
    ) -> None:
        self.label = label
        self.source = source
        self.load = load
        self.validate = validate
        self.shown = shown
        self.validated = 0
        self.missing = False
        self._spec: tuple[Spec | None] | None = None

    def spec(self) -> Spec | None:
        """The spec, loaded once per session (specs are large; tests are many)."""
        if self._spec is None:
            self._spec = (self.load(),)
        return self._spec[0]

    def check(self, traffic: Iterable[Exchange]) -> list[str]:
        """Each exchange's problems as `METHOD URL: problem`; [] when the spec is absent (noted)."""
        spec = self.spec()
        if spec is None:
            self.missing = True
            return []
        exchanges = list(traffic)
        self.validated += len(exchanges)
        return [f"{e.method} {e.url}: {problem}" for e in exchanges for problem in self.validate(spec, e)]

    def fixture(self) -> Any:
        """An autouse pytest fixture recording the test's traffic (yields the list) and checking it."""
        import pytest

        @pytest.fixture(autouse=True)
        def traffic_conformance() -> Iterator[list[Exchange]]:
            with record_traffic() as seen:
                yield seen
            if self.spec() is None and os.environ.get("CI"):
                pytest.fail(f"{self.source} not found: CI must validate {self.label}'s traffic against it")
            problems = self.check(seen)
            if problems:
                pytest.fail(f"traffic that departs from {self.source}:\n" + "\n".join(problems[: self.shown]))

        return traffic_conformance

    def summary(self, terminalreporter: Any) -> None:
        """Use as the conftest's `pytest_terminal_summary`: says what was (not) validated."""
        if self.missing:
            terminalreporter.write_line(
                f"{self.label}: {self.source} not found; requests were NOT validated (set FUSIONHUB_SPECS_DIR)"
            )
        elif self.validated:
            line = f"{self.label}: {self.validated} recorded exchanges validated against {self.source}"
            terminalreporter.write_line(line)
