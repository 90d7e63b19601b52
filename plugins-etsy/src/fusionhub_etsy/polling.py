"""Events without webhooks: poll receipts and listings by their last-modified timestamps.

The cursor keeps, per resource, the newest timestamp seen and the ids seen at that exact
second. The next poll asks from that second again (inclusive), so a change landing in the
same second is not lost, and skips the ids already reported there, so nothing repeats.
A re-modified record has a newer timestamp and is reported again, as a new change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fusionhub.plugin import (
    Event,
    EventBatch,
    EventSource,
    EventType,
    StoreContext,
    decode_cursor,
    encode_cursor,
    hookimpl,
)
from fusionhub_etsy.client import call
from fusionhub_etsy.mapping import Json, timestamp

PAGE = 100
MAX_PAGES = 200  # one poll reads at most 20,000 changes per resource; the rest waits for the next
DEFAULT_STATES = ("active", "inactive", "draft")


@dataclass
class Mark:
    """Newest timestamp seen and the ids seen at it."""

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
    def load(cls, data: Any, default_ts: int) -> Mark:
        if not isinstance(data, dict):
            return cls(default_ts)
        return cls(int(data.get("ts", default_ts)), {str(i) for i in data.get("ids", [])})


@dataclass(frozen=True, slots=True)
class Resource:
    """How one polled resource reads: its id, timestamps, event types and the payload kept."""

    name: str
    id_key: str
    ts_keys: tuple[str, ...]
    created_keys: tuple[str, ...]
    types: tuple[EventType, EventType]  # created, updated
    payload: tuple[str, ...]

    def key(self, record: Json) -> tuple[str, int]:
        return str(record[self.id_key]), _first(record, self.ts_keys)

    def event(self, record: Json) -> Event:
        rid, ts = self.key(record)
        created = ts == _first(record, self.created_keys)
        return Event(
            platform="etsy",
            type=self.types[0] if created else self.types[1],
            delivery_id=f"etsy:{self.name}:{rid}:{ts}",
            resource_id=rid,
            topic=f"{self.name}.{'created' if created else 'updated'}",
            source=EventSource.POLLING,
            occurred_at=timestamp(ts),
            payload={k: record.get(k) for k in self.payload},
        )


def _first(record: Json, keys: tuple[str, ...]) -> int:
    return int(next((record[k] for k in keys if record.get(k)), 0))


RECEIPT = Resource(
    "receipt",
    "receipt_id",
    ("updated_timestamp", "update_timestamp"),
    ("created_timestamp", "create_timestamp"),
    (EventType.ORDER_CREATED, EventType.ORDER_UPDATED),
    ("receipt_id", "status", "is_paid", "is_shipped", "updated_timestamp"),
)
LISTING = Resource(
    "listing",
    "listing_id",
    ("last_modified_timestamp",),
    ("created_timestamp", "creation_timestamp"),
    (EventType.PRODUCT_CREATED, EventType.PRODUCT_UPDATED),
    ("listing_id", "state", "title", "last_modified_timestamp"),
)


@dataclass
class Poll:
    """One resource's poll: what the last poll saw, what this one has seen, the events so far."""

    resource: Resource
    since: Mark
    mark: Mark = field(init=False)
    events: list[Event] = field(default_factory=list)
    reported: set[tuple[str, int]] = field(default_factory=set)  # a record can show up on two pages

    def __post_init__(self) -> None:
        self.mark = Mark(self.since.ts, set(self.since.ids))

    def take(self, records: list[Json]) -> bool:
        """Report the records changed since the last poll; True when a record predates it."""
        reached_old = False
        for record in records:
            rid, ts = self.resource.key(record)
            if self.since.is_new(ts, rid):
                if (rid, ts) not in self.reported:
                    self.reported.add((rid, ts))
                    self.events.append(self.resource.event(record))
                self.mark.advance(ts, rid)
            elif ts < self.since.ts:
                reached_old = True
        return reached_old


async def _receipts(ctx: StoreContext, poll: Poll) -> None:
    """Ascending by update time from `since.ts`; a full page moves the window, never an offset past a gap."""
    floor, offset = poll.since.ts, 0
    for _ in range(MAX_PAGES):
        query = {"min_last_modified": floor, "sort_on": "updated", "sort_order": "asc", "limit": PAGE, "offset": offset}
        results = (await call(ctx, "getShopReceipts", params=query)).get("results", [])
        poll.take(results)
        if len(results) < PAGE:
            return
        last = RECEIPT.key(results[-1])[1]
        # A page all at one second cannot move the floor: step the offset within that second only.
        floor, offset = (last, 0) if last > floor else (floor, offset + PAGE)


async def _listings(ctx: StoreContext, poll: Poll, states: Iterable[str]) -> None:
    """Newest first per state, until a page reaches what the last poll already saw."""
    for state in states:
        for page in range(MAX_PAGES):
            query = {"state": state, "limit": PAGE, "offset": page * PAGE, "sort_on": "updated", "sort_order": "desc"}
            results = (await call(ctx, "getListingsByShop", params=query)).get("results", [])
            if poll.take(results) or len(results) < PAGE:
                break


@hookimpl
async def poll_events(ctx: StoreContext, cursor: str | None) -> EventBatch:
    state = decode_cursor(cursor, loc="cursor", platform="etsy")
    interval = int(ctx.manifest.constraints.polling_interval or 300)
    start = int(ctx.clock.now()) - interval  # a first poll reports the last interval, not all history
    receipts = Poll(RECEIPT, Mark.load(state.get("receipts"), start))
    await _receipts(ctx, receipts)
    listings = Poll(LISTING, Mark.load(state.get("listings"), start))
    await _listings(ctx, listings, ctx.config.get("poll_listing_states") or DEFAULT_STATES)
    events = sorted(
        receipts.events + listings.events,
        key=lambda e: (e.occurred_at.timestamp() if e.occurred_at else 0.0, e.delivery_id),
    )
    next_cursor = encode_cursor({"receipts": receipts.mark.dump(), "listings": listings.mark.dump()})
    return EventBatch(events=events, cursor=next_cursor)
