"""Etsy Open API v3 plugin for Fusion Stage Hub (slug `etsy`)."""

from __future__ import annotations

__version__ = "1.8.0"
