"""GraphQL over HTTP: the conventions GraphQL APIs share; a platform's own error codes stay in its table.

- `json_body(response)`: the body parsed once per response and kept on it (None when not JSON),
  so the plugin's `on_response` and its caller read one parse;
- `data_of(response, errors, operation=)`: the response's `data`, or the error `errors` (the
  plugin's `ErrorTable`) maps it to — top-level GraphQL `errors` come with HTTP 200, so the table
  needs rows for them; a body without `data` is a `TransientError`;
- `payload(data, field)`: a mutation's payload; its user errors (`field` path, `message`) are
  never success: they raise `ValidationError` with the path as `loc`;
- `present(data, key, what)`: `data[key]`, or `NotFound` (an id the API does not know comes back null);
- `is_mutation(text)`: whether a document is a mutation (never resent after a failure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from fusionhub.errors import NotFound, PlatformError, TransientError, ValidationError
from fusionhub.http import ErrorTable

__all__ = ["data_of", "field_errors", "is_mutation", "json_body", "payload", "present"]

_PARSED = "fusionhub.json"  # response.extensions key: the body parsed once


def json_body(response: httpx.Response) -> Any:
    """The response body as JSON, parsed once per response (None when it is not JSON)."""
    if _PARSED not in response.extensions:
        try:
            response.extensions[_PARSED] = response.json()
        except ValueError:
            response.extensions[_PARSED] = None
    return response.extensions[_PARSED]


def data_of(
    response: httpx.Response, errors: ErrorTable, *, operation: str, platform: str | None = None
) -> dict[str, Any]:
    """The `data` of a GraphQL response, or the error the table maps the response to."""
    body = json_body(response)
    errors.raise_for(response, platform=platform, operation=operation, parsed=body)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        what = "no data" if isinstance(body, dict) else "a malformed response"
        raise TransientError(f"the platform sent {what} for {operation}", platform=platform)
    return data


def field_errors(errors: Iterable[Mapping[str, Any]] | None, prefix: str = "") -> list[dict[str, str]]:
    """User errors (`{"field": [path...], "message": ...}`) as `ValidationError` entries under `prefix`."""
    out = []
    for err in errors or ():
        path = ".".join(str(p) for p in err.get("field") or ())
        loc = ".".join(p for p in (prefix, path) if p) or "input"
        out.append({"loc": loc, "msg": str(err.get("message", "invalid"))})
    return out


def payload(
    data: Mapping[str, Any],
    field: str,
    *,
    errors_key: str = "userErrors",
    prefix: str = "",
    platform: str | None = None,
) -> dict[str, Any]:
    """A mutation's payload; non-empty user errors raise ValidationError with their field paths."""
    result = data.get(field)
    if not isinstance(result, dict):
        raise PlatformError(f"the platform returned no {field} payload", platform=platform)
    problems = field_errors(result.get(errors_key), prefix)
    if problems:
        raise ValidationError(errors=problems, platform=platform, details={"mutation": field})
    return result


def present(data: Mapping[str, Any], key: str, what: str, *, platform: str | None = None) -> Any:
    """`data[key]`; null (an id the API does not know) is NotFound for `what`."""
    if data.get(key) is None:
        raise NotFound(f"no {what}", platform=platform)
    return data[key]


def is_mutation(text: str) -> bool:
    """Whether a GraphQL document's operation is a mutation."""
    return text.lstrip().startswith("mutation")
