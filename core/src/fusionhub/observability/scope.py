"""Which capability call the current task is serving, so API-call events can name it."""

from __future__ import annotations

from contextvars import ContextVar

current_capability: ContextVar[str | None] = ContextVar("fusionhub_capability", default=None)
