"""Fixtures of the Shopify plugin's tests (helpers live in shopify_helpers.py)."""

from shopify_helpers import shop

__all__ = ["shop"]
