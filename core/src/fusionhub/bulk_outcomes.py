"""A platform-side bulk write's per-item outcomes, gathered between polls, summed up when it finishes.

A bulk operation (an uploaded file of writes the platform runs) reports per item through result
lines: no errors (succeeded), errors (failed), or no line at all when the result stayed incomplete
(outcome unknown: neither succeeded nor failed, the write may or may not have been applied).
`tally_lines` adds one finished run's lines to the outcomes kept in the handle's `state` (plain
JSON: `{"failed": {"<index>": [messages]}, "unknown": [index, ...]}`, across several runs of one
bulk call); `bulk_summary` is the finished handle's `result`, the shape core reads into a
`BulkResult` (`total`, `succeeded`, `failed`, `unknown`, `errors` by item index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["OUTCOME_UNKNOWN", "bulk_summary", "tally_lines"]

OUTCOME_UNKNOWN = "outcome_unknown"  # the `category` of an unknown item's entry in `errors`
UNKNOWN_MESSAGE = "outcome unknown: the bulk result has no line for this item (incomplete when downloaded twice)"
MAX_ERRORS = 100  # per-item entries kept in a summary


def tally_lines(
    outcomes: Mapping[str, Any], items: Sequence[int], lines: Mapping[int, Sequence[str]]
) -> dict[str, Any]:
    """`outcomes` with one run's result added: `items[n]` is the item index line n was written for,
    `lines[n]` that line's error messages (empty: it succeeded); an item whose line is missing is unknown."""
    failed: dict[str, list[str]] = {str(k): list(v) for k, v in (outcomes.get("failed") or {}).items()}
    unknown = set(outcomes.get("unknown") or ())
    for number, index in enumerate(items):
        if number not in lines:
            unknown.add(index)
        elif lines[number]:
            failed.setdefault(str(index), []).extend(lines[number])
    return {**outcomes, "failed": failed, "unknown": sorted(unknown)}


def bulk_summary(outcomes: Mapping[str, Any], total: int, max_errors: int = MAX_ERRORS) -> dict[str, Any]:
    """The summary of `total` items: every item not failed nor unknown succeeded (a failure wins over unknown)."""
    failed: Mapping[str, Sequence[str]] = outcomes.get("failed") or {}
    unknown = [i for i in outcomes.get("unknown") or () if str(i) not in failed]
    errors = [{"index": int(i), "errors": list(msgs)} for i, msgs in failed.items()] + [
        {"index": i, "category": OUTCOME_UNKNOWN, "errors": [UNKNOWN_MESSAGE]} for i in unknown
    ]
    return {
        "total": total,
        "succeeded": total - len(failed) - len(unknown),
        "failed": len(failed),
        "unknown": len(unknown),
        "errors": sorted(errors, key=lambda e: int(e["index"]))[:max_errors],
    }
