"""Printify REST API v1 plugin for Fusion Stage Hub (slug `printify`)."""

from __future__ import annotations

__version__ = "1.5.0"
