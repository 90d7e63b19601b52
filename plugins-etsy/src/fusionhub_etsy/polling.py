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

from fusionhub.plugin import Event, EventBatch, EventSource, EventType, StoreContext, decode_cursor, encode_cursor
from fusionhub_etsy.client import EtsyClient, Json
from fusionhub_etsy.mapping import timestamp

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


def _receipt_event(receipt: Json) -> Event:
    rid = str(receipt["receipt_id"])
    ts = int(receipt.get("updated_timestamp") or receipt.get("update_timestamp") or 0)
    created = int(receipt.get("created_timestamp") or receipt.get("create_timestamp") or 0)
    kind = EventType.ORDER_CREATED if ts == created else EventType.ORDER_UPDATED
    return Event(
        platform="etsy",
        type=kind,
        delivery_id=f"etsy:receipt:{rid}:{ts}",
        resource_id=rid,
        topic="receipt.created" if kind is EventType.ORDER_CREATED else "receipt.updated",
        source=EventSource.POLLING,
        occurred_at=timestamp(ts),
        payload={k: receipt.get(k) for k in ("receipt_id", "status", "is_paid", "is_shipped", "updated_timestamp")},
    )


def _listing_event(listing: Json) -> Event:
    lid = str(listing["listing_id"])
    ts = int(listing.get("last_modified_timestamp") or 0)
    created = int(listing.get("created_timestamp") or listing.get("creation_timestamp") or 0)
    kind = EventType.PRODUCT_CREATED if ts == created else EventType.PRODUCT_UPDATED
    return Event(
        platform="etsy",
        type=kind,
        delivery_id=f"etsy:listing:{lid}:{ts}",
        resource_id=lid,
        topic="listing.created" if kind is EventType.PRODUCT_CREATED else "listing.updated",
        source=EventSource.POLLING,
        occurred_at=timestamp(ts),
        payload={k: listing.get(k) for k in ("listing_id", "state", "title", "last_modified_timestamp")},
    )


async def _receipts(client: EtsyClient, since: Mark) -> tuple[list[Event], Mark]:
    """Ascending by update time from `since.ts`; a full page moves the window, never an offset past a gap."""
    events: list[Event] = []
    mark = Mark(since.ts, set(since.ids))
    floor, offset = since.ts, 0
    for _ in range(MAX_PAGES):
        page = await client.receipts(
            min_last_modified=floor, sort_on="updated", sort_order="asc", limit=PAGE, offset=offset
        )
        results = page.get("results", [])
        for receipt in results:
            rid, ts = str(receipt["receipt_id"]), int(receipt.get("updated_timestamp") or 0)
            if mark.is_new(ts, rid):
                events.append(_receipt_event(receipt))
                mark.advance(ts, rid)
        if len(results) < PAGE:
            break
        last = int(results[-1].get("updated_timestamp") or 0)
        # A page all at one second cannot move the floor: step the offset within that second only.
        floor, offset = (last, 0) if last > floor else (floor, offset + PAGE)
    return events, mark


async def _listings(client: EtsyClient, since: Mark, states: Iterable[str]) -> tuple[list[Event], Mark]:
    """Newest first per state, until a page reaches what the last poll already saw."""
    events: list[Event] = []
    reported: set[str] = set()  # a listing re-sorted mid-poll can show up on two pages
    mark = Mark(since.ts, set(since.ids))
    for state in states:
        offset = 0
        for _ in range(MAX_PAGES):
            page = await client.listings(state=state, limit=PAGE, offset=offset, sort_on="updated", sort_order="desc")
            results = page.get("results", [])
            reached_old = False
            for listing in results:
                lid, ts = str(listing["listing_id"]), int(listing.get("last_modified_timestamp") or 0)
                if since.is_new(ts, lid):
                    if f"{lid}:{ts}" not in reported:
                        reported.add(f"{lid}:{ts}")
                        events.append(_listing_event(listing))
                    mark.advance(ts, lid)
                elif ts < since.ts:
                    reached_old = True
            if reached_old or len(results) < PAGE:
                break
            offset += PAGE
    return events, mark


async def poll_events(ctx: StoreContext, cursor: str | None) -> EventBatch:
    state = decode_cursor(cursor, loc="cursor", platform="etsy")
    interval = int(ctx.manifest.constraints.polling_interval or 300)
    start = int(ctx.clock.now()) - interval  # a first poll reports the last interval, not all history
    client = EtsyClient(ctx)
    receipt_events, receipts_mark = await _receipts(client, Mark.load(state.get("receipts"), start))
    states = ctx.config.get("poll_listing_states") or DEFAULT_STATES
    listing_events, listings_mark = await _listings(client, Mark.load(state.get("listings"), start), states)
    events = sorted(
        receipt_events + listing_events,
        key=lambda e: (e.occurred_at.timestamp() if e.occurred_at else 0.0, e.delivery_id),
    )
    next_cursor = encode_cursor({"receipts": receipts_mark.dump(), "listings": listings_mark.dump()})
    return EventBatch(events=events, cursor=next_cursor)
