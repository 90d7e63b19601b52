"""Gumroad's answers → fusionhub's errors, as rows of data.

Gumroad answers most refusals with HTTP 200 and `{"success": false, "message": ...}` ("The product
was not found.", "Purchase is already refunded."); a malformed parameter is a 400
`{"status": 400, "error": ...}`; a bad token a 401. The newer product endpoints (POST /products,
PUT /products/:id) do not exist on every account's API server: there the route itself is missing,
a 404 that is not Gumroad's JSON (NEW_ENDPOINT_ERRORS).
"""

from __future__ import annotations

import re
from typing import Any

from fusionhub.plugin import (
    DEFAULT_ERRORS,
    AuthError,
    ErrorBody,
    ErrorRow,
    NotFound,
    PlatformError,
    ValidationError,
    field_is,
)

_NOT_FOUND = re.compile(r"\bwas not found\b", re.IGNORECASE)
NOT_AVAILABLE = (
    "not available for this Gumroad account: its API answers 404 for this endpoint (older API servers have "
    "no product create/update). Create or edit the product on gumroad.com instead."
)


def _said(body: ErrorBody) -> str | None:
    data: Any = body.json
    if isinstance(data, dict):
        said = data.get("message") or data.get("error")
        return str(said) if said else None
    return None


def _refused(body: ErrorBody) -> bool:
    return field_is("success", False)(body)


def _not_found(body: ErrorBody) -> bool:
    said = _said(body)
    return _refused(body) and said is not None and bool(_NOT_FOUND.search(said))


def _no_route(body: ErrorBody) -> bool:
    """A 404 without Gumroad's JSON: the endpoint itself is missing, not the record."""
    return not isinstance(body.json, dict) or "success" not in body.json


ERRORS = DEFAULT_ERRORS.extend(
    ErrorRow(200, NotFound, "Gumroad has no such record.", when=_not_found),
    ErrorRow(200, ValidationError, "Gumroad refused the request.", when=_refused),
    ErrorRow(404, NotFound, "Gumroad has no such record."),
    ErrorRow(401, AuthError, "Gumroad refused the access token: generate a new one (Settings > Advanced)."),
    ErrorRow(403, AuthError, "The access token lacks the scope this call needs."),
    ErrorRow(402, ValidationError, "Gumroad could not carry out the request."),
    describe=_said,
)

# For POST /products and PUT /products/:id, which some accounts' API servers do not have.
NEW_ENDPOINT_ERRORS = ERRORS.extend(ErrorRow(404, PlatformError, NOT_AVAILABLE, when=_no_route))
