"""An error table: (status, error body) → the error taxonomy, as rows of data a plugin extends.

A row says "a response with this status (and, optionally, a body this matcher accepts) is this
kind of error, with this message". A plugin starts from core's defaults
(`fusionhub.http.errors.DEFAULT_ERRORS`) and puts its own rows in front:
`ERRORS = DEFAULT_ERRORS.extend(ErrorRow(404, NotFound, "Unknown shop."), ...)`. The first row
that matches wins, so a plugin's row overrides core's for the same status, and a row whose
matcher does not accept the body falls through to the next one.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from fusionhub.errors import FusionHubError, RateLimited
from fusionhub.observability.redaction import scrub

# A 429 without Retry-After: wait this long (seconds) before the next try.
DEFAULT_RETRY_AFTER = 1.0
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """An error response's body: its text, and its JSON when it is JSON (else None)."""

    text: str
    json: Any = None

    @staticmethod
    def of(response: httpx.Response, parsed: Any = _UNSET) -> ErrorBody:
        try:
            text = response.text
        except httpx.ResponseNotRead:  # a streamed body nobody read: judge by status alone
            return ErrorBody("")
        if parsed is _UNSET:
            try:
                parsed = response.json() if text else None
            except ValueError:
                parsed = None
        return ErrorBody(text, parsed)


BodyMatch = Callable[[ErrorBody], bool]
Describe = Callable[[ErrorBody], str | None]  # the platform's own explanation in an error body


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """`status` (None: any status, only with `when`) and a body `when` accepts → `error`, `message`."""

    status: int | None
    error: type[FusionHubError]
    message: str
    when: BodyMatch | None = None

    def __post_init__(self) -> None:
        if self.status is None and self.when is None:
            raise ValueError("a row for any status needs a body matcher (`when`)")

    def matches(self, status: int, body: Callable[[], ErrorBody]) -> bool:
        if self.status is not None and self.status != status:
            return False
        return self.when is None or self.when(body())


@dataclass(frozen=True, slots=True)
class ErrorTable:
    """Rows tried in order; statuses no row names fall back by class (4xx, 5xx)."""

    rows: tuple[ErrorRow, ...]
    by_class: Mapping[int, ErrorRow] = field(default_factory=dict)
    describe: Describe | None = None
    # How long a 429 asks to wait, when the platform says it elsewhere than in Retry-After.
    rate_limit_wait: Callable[[httpx.Response], float] | None = None
    # Whether any row can match a 2xx/3xx answer; when none can, a success is known at a glance
    # (every request's answer passes through here: the common case must cost nothing).
    _reads_successes: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reads = any(row.status is None or row.status < 400 for row in self.rows)
        object.__setattr__(self, "_reads_successes", reads)

    def extend(
        self,
        *rows: ErrorRow,
        describe: Describe | None = None,
        rate_limit_wait: Callable[[httpx.Response], float] | None = None,
    ) -> ErrorTable:
        """A table with `rows` in front of these (so they win), and the plugin's body reading."""
        return ErrorTable(
            rows=(*rows, *self.rows),
            by_class=self.by_class,
            describe=describe or self.describe,
            rate_limit_wait=rate_limit_wait or self.rate_limit_wait,
        )

    def row_for(self, status: int, body: ErrorBody | Callable[[], ErrorBody] | None = None) -> ErrorRow | None:
        """The row a response stands for; None when it succeeded (2xx/3xx no row names)."""
        if status < 400 and not self._reads_successes:
            return None
        known = body if isinstance(body, ErrorBody) else ErrorBody("")
        read = body if callable(body) else (lambda: known)
        for row in self.rows:
            if row.matches(status, read):
                return row
        if status < 400:
            return None
        return self.by_class.get(status // 100) or self.by_class.get(5)

    def error_for(
        self,
        response: httpx.Response,
        *,
        platform: str | None = None,
        operation: str | None = None,
        message: str | None = None,
        now: float | None = None,
        parsed: Any = _UNSET,
    ) -> FusionHubError | None:
        """The taxonomy error a response stands for (None when it succeeded).

        `message` replaces the row's and the body's text; `parsed` is the body as JSON when the
        caller has parsed it already; `now` is the clock's time for Retry-After dates.
        """
        if response.status_code < 400 and not self._reads_successes:
            return None  # a success no row reads: no body reader to set up (per call)
        cache: list[ErrorBody] = []

        def body() -> ErrorBody:
            if not cache:
                cache.append(ErrorBody.of(response, parsed))
            return cache[0]

        row = self.row_for(response.status_code, body)
        if row is None:
            return None
        request = response.request
        details: dict[str, Any] = {"status": response.status_code, "method": request.method, "path": request.url.path}
        if operation:
            details["operation"] = operation
        text = scrub(message) if message else self._text(row, operation, body)
        if issubclass(row.error, RateLimited):
            return RateLimited(self._wait(response, now), text, details=details, platform=platform)
        return row.error(text, details=details, platform=platform)

    def raise_for(self, response: httpx.Response, **kwargs: Any) -> httpx.Response:
        """Raise the taxonomy error for an error response, else return the response."""
        error = self.error_for(response, **kwargs)
        if error is not None:
            raise error
        return response

    def _text(self, row: ErrorRow, operation: str | None, body: Callable[[], ErrorBody]) -> str:
        text = f"{operation}: {row.message}" if operation else row.message
        said = self.describe(body()) if self.describe else None
        return f"{text} The platform said: {scrub(said)}" if said else text

    def _wait(self, response: httpx.Response, now: float | None) -> float:
        if self.rate_limit_wait is not None:
            return self.rate_limit_wait(response)
        wait = retry_after(response, time.time() if now is None else now)
        return DEFAULT_RETRY_AFTER if wait is None else wait


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds the `Retry-After` header asks for (delta seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


# --- matchers and readers: facts about a body, as data ------------------------------------


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at a dotted `path` in JSON; lists on the way are searched element by element.

    `values_at({"errors": [{"extensions": {"code": "X"}}]}, "errors.extensions.code") == ["X"]`.
    """
    items: list[Any] = [data]
    for key in path.split(".") if path else ():
        items = [item[key] for item in _flat(items) if isinstance(item, Mapping) and key in item]
    return list(_flat(items))


def _flat(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, list):
            yield from item
        else:
            yield item


def field_is(path: str, *values: object) -> BodyMatch:
    """Matches a JSON body with one of `values` at `path` (e.g. a platform's error code)."""
    wanted = set(values)

    def match(body: ErrorBody) -> bool:
        return any(v in wanted for v in values_at(body.json, path) if isinstance(v, str | int | float | bool))

    return match


def has_field(path: str) -> BodyMatch:
    """Matches a JSON body with a non-empty value at `path` (e.g. GraphQL's top-level `errors`)."""
    return lambda body: any(v not in (None, "", [], {}) for v in values_at(body.json, path))


def text_matches(pattern: str) -> BodyMatch:
    """Matches a body whose text contains `pattern` (a regular expression, case-insensitive)."""
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda body: compiled.search(body.text) is not None
