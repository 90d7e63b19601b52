"""Gumroad API v2 plugin for Fusion Stage Hub (slug `gumroad`)."""

from __future__ import annotations

__version__ = "1.3.0"
