"""Shopify global ids (gid://shopify/Product/123): accept bare numbers, always send gids."""

from __future__ import annotations

from typing import Any

GID_PREFIX = "gid://shopify/"


def gid(kind: str, value: str) -> str:
    """`gid("Product", "123")` → gid://shopify/Product/123; a gid passes unchanged."""
    value = value.strip()
    if value.startswith(GID_PREFIX):
        return value
    return f"{GID_PREFIX}{kind}/{value}"


def kind_of(node: dict[str, Any]) -> str:
    """The kind of a node's gid: gid://shopify/ProductVariant/1 → ProductVariant."""
    parts = str(node.get("id", "")).split("/")
    return parts[3] if len(parts) > 4 else "Object"
