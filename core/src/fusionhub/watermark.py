"""Polling by last-modified time without losing or repeating a change (for platforms without webhooks).

A `Watermark` keeps the newest timestamp seen and the ids seen at that exact second. The next
poll asks from that second again (inclusive), so a change landing in the same second is not
lost, and skips the ids already reported there, so nothing repeats. A re-modified record has a
newer timestamp and is reported again, as a new change. `Changes` is one poll of one resource:
it takes pages of records and keeps those changed since the last poll, each once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Watermark:
    """Newest timestamp seen (seconds) and the ids seen at it; `dump()`/`load()` keep it in a cursor."""

    ts: int
    ids: set[str] = field(default_factory=set)

    def is_new(self, ts: int, record_id: str) -> bool:
        return ts > self.ts or (ts == self.ts and record_id not in self.ids)

    def advance(self, ts: int, record_id: str) -> None:
        if ts > self.ts:
            self.ts, self.ids = ts, {record_id}
        elif ts == self.ts:
            self.ids.add(record_id)

    def dump(self) -> dict[str, Any]:
        return {"ts": self.ts, "ids": sorted(self.ids)}

    @classmethod
    def load(cls, data: Any, default_ts: int) -> Watermark:
        """The watermark `dump()` made, or one at `default_ts` (a first poll) for anything else."""
        if not isinstance(data, dict):
            return cls(default_ts)
        return cls(int(data.get("ts", default_ts)), {str(i) for i in data.get("ids", [])})


@dataclass
class Changes(Generic[T]):
    """One poll of one resource since `since`; `key(record)` is its (id, last-modified ts)."""

    since: Watermark
    key: Callable[[T], tuple[str, int]]
    new: list[T] = field(default_factory=list)  # the changed records, each (id, ts) once
    mark: Watermark = field(init=False)  # where the next poll starts
    _taken: set[tuple[str, int]] = field(default_factory=set)  # a record can show up on two pages

    def __post_init__(self) -> None:
        self.mark = Watermark(self.since.ts, set(self.since.ids))

    def take(self, records: Iterable[T]) -> bool:
        """Keep the records changed since the last poll; True when one predates it (newest-first pages end)."""
        reached_old = False
        for record in records:
            rid, ts = self.key(record)
            if self.since.is_new(ts, rid):
                if (rid, ts) not in self._taken:
                    self._taken.add((rid, ts))
                    self.new.append(record)
                self.mark.advance(ts, rid)
            elif ts < self.since.ts:
                reached_old = True
        return reached_old
