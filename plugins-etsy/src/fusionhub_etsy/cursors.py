"""Opaque page cursors: Etsy pages by offset, so a cursor is the next offset (and its filters)."""

from __future__ import annotations

import base64
import json
from typing import Any

from fusionhub.errors import ValidationError


def encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, loc: str = "params.cursor") -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValidationError(errors=[{"loc": loc, "msg": "not a cursor returned by this plugin"}], platform="etsy")
    return data
