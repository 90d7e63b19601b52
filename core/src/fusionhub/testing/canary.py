"""Canary secrets: values that must never surface in logs, reprs or error texts."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from fusionhub.observability.redaction import _MIN_SECRET_LEN


def canary(label: str = "canary") -> str:
    """A fresh, unmistakable secret value."""
    return f"fhc-{label}-{secrets.token_hex(12)}"


def secret_values(credentials: Mapping[str, str]) -> list[str]:
    """The credential values a leak check looks for (short values would match ordinary text)."""
    return [v for v in credentials.values() if len(v) >= _MIN_SECRET_LEN]


def leaks(secret_list: Iterable[str], places: Mapping[str, str]) -> list[str]:
    """Names of the places whose text contains any of the secrets."""
    values = list(secret_list)
    return sorted(where for where, text in places.items() if any(s in text for s in values))
