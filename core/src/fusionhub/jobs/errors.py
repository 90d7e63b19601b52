"""How a worker answers each error category: re-schedule, retry with back-off, or fail now.

A table, not a cascade of ifs: adding a category means adding a row.
"""

from __future__ import annotations

from enum import StrEnum

from fusionhub.errors import ErrorCategory


class Action(StrEnum):
    RESCHEDULE = "reschedule"  # at now + retry_after, not counted as an attempt
    RETRY = "retry"  # with back-off, up to the contract's max_retries
    FAIL = "fail"  # at once: retrying cannot help


ACTIONS: dict[ErrorCategory, Action] = {
    ErrorCategory.RATE_LIMIT: Action.RESCHEDULE,
    ErrorCategory.TRANSIENT: Action.RETRY,
    ErrorCategory.AUTH: Action.FAIL,
    ErrorCategory.VALIDATION: Action.FAIL,
    ErrorCategory.UNSUPPORTED: Action.FAIL,
    ErrorCategory.REFUSED: Action.FAIL,
    ErrorCategory.NOT_FOUND: Action.FAIL,
    ErrorCategory.PLATFORM: Action.FAIL,
    ErrorCategory.PLUGIN_LOAD: Action.FAIL,
}

DEFAULT_MAX_RETRIES = 3


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before retry number `attempt` (1, 2, 4, … capped): spreads load off a struggling API."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))
