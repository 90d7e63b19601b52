"""What every JSON endpoint shares: the refusal shapes (400 naming the field, 404, 409), the query
parameters an endpoint takes, reading a JSON object body and checking its fields."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fusionhub.errors import FusionHubError, NotFound, ValidationError
from fusionhub.serve.auth import Handler
from fusionhub.stores.service import StoreConflict

MAX_LIMIT = 500
MAX_BODY = 1024 * 1024


def bad(field: str, message: str) -> JSONResponse:
    return JSONResponse({"error": "invalid", "errors": [{"loc": field, "msg": message}]}, status_code=400)


def refused(exc: FusionHubError) -> JSONResponse:
    """A refusal the caller can act on: what was wrong, field by field when there are fields."""
    if isinstance(exc, NotFound):
        return JSONResponse({"error": "not_found", "message": exc.user_message}, status_code=404)
    if isinstance(exc, StoreConflict):  # e.g. the name is taken
        return JSONResponse({"error": "conflict", "message": exc.user_message}, status_code=409)
    body: dict[str, Any] = {"error": str(exc.category), "message": exc.user_message}
    if isinstance(exc, ValidationError) and exc.errors:
        body["errors"] = [{"loc": str(e.get("loc", "")), "msg": str(e.get("msg", ""))} for e in exc.errors]
    return JSONResponse(body, status_code=400)


def takes(*names: str) -> Callable[[Handler], Handler]:
    """The query parameters an endpoint takes: any other is a 400 naming it (a misspelt filter
    must not silently return everything)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: Request) -> Response:
            unknown = sorted(set(request.query_params) - set(names))
            if unknown:
                takes = f"takes {', '.join(names)}" if names else "takes no query parameters"
                return bad(unknown[0], f"not a query parameter here: this endpoint {takes}")
            return await handler(request)

        return checked

    return wrap


def limit_of(request: Request, default: int = 50) -> int | JSONResponse:
    text = request.query_params.get("limit", str(default))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        return bad("limit", f"a whole number from 1 to {MAX_LIMIT}")
    return int(text)


async def json_object(request: Request) -> dict[str, Any] | JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY:
        return bad("body", f"at most {MAX_BODY} bytes")
    try:
        value = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return bad("body", f"not JSON: {exc}")
    if not isinstance(value, dict):
        return bad("body", "a JSON object")
    return value


KINDS: dict[type, str] = {str: "a string", dict: "a JSON object", bool: "true or false"}


def check_fields(
    body: Mapping[str, Any], required: Mapping[str, type], optional: Mapping[str, type]
) -> JSONResponse | None:
    """A 400 naming the first field that is missing, of the wrong type, or unknown; None when all is well."""
    for name, kind in {**required, **optional}.items():
        if (name in body and not isinstance(body[name], kind)) or (name in required and name not in body):
            return bad(name, f"{'required, ' if name in required else ''}{KINDS[kind]}")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        return bad(unknown[0], f"not a field (known: {', '.join([*required, *optional])})")
    return None
