"""How a worker answers each error category: re-schedule, retry with back-off, or fail now.

A table, not a cascade of ifs: adding a category means adding a row.
"""

from __future__ import annotations

import random
from enum import StrEnum

from fusionhub.errors import ErrorCategory


class Action(StrEnum):
    RESCHEDULE = "reschedule"  # later (see `throttle_backoff`), counted as a rate-limit wait, not an attempt
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


# Rate-limit waits a job may take before it fails (category rate_limit): in all, and those the
# platform itself asked for (a 429, or a GraphQL API's throttled answer). The store's own bucket refuses with an
# exact wait and before sending anything, so only starvation reaches the first bound; a platform
# that keeps refusing reaches the second after about an hour of growing waits.
MAX_THROTTLES = 200
MAX_PLATFORM_THROTTLES = 12


def throttle_backoff(
    refusals: int, retry_after: float, *, base: float = 1.0, cap: float = 600.0, jitter: float = 0.5
) -> float:
    """Seconds before a job the platform refused for its rate limit runs again.

    At least the platform's `retry_after`; the n-th refusal in a row waits 1, 2, 4 … s (capped)
    plus up to `jitter` as much again at random, so jobs refused together do not return together.
    """
    scheduled = min(cap, base * 2 ** max(0, refusals - 1))
    return float(max(retry_after, scheduled * (1.0 + random.uniform(0.0, jitter))))
