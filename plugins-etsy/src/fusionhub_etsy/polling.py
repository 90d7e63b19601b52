"""Events without webhooks: poll receipts and listings by their last-modified timestamps.

The cursor keeps a core `Watermark` per resource (newest second seen, ids seen at it), so a
change is neither lost nor repeated; `Changes` keeps each poll's changed records, which
mapping_events turns into normalized events.
"""

from __future__ import annotations

from collections.abc import Iterable

from fusionhub.plugin import Changes, EventBatch, StoreContext, Watermark, decode_cursor, encode_cursor, hookimpl
from fusionhub_etsy.client import call
from fusionhub_etsy.mapping import Json
from fusionhub_etsy.mapping_events import LISTING, RECEIPT

PAGE = 100
MAX_PAGES = 200  # one poll reads at most 20,000 changes per resource; the rest waits for the next
DEFAULT_STATES = ("active", "inactive", "draft")


async def _receipts(ctx: StoreContext, poll: Changes[Json]) -> None:
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


async def _listings(ctx: StoreContext, poll: Changes[Json], states: Iterable[str]) -> None:
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
    receipts = Changes(Watermark.load(state.get("receipts"), start), RECEIPT.key)
    await _receipts(ctx, receipts)
    listings = Changes(Watermark.load(state.get("listings"), start), LISTING.key)
    await _listings(ctx, listings, ctx.config.get("poll_listing_states") or DEFAULT_STATES)
    events = sorted(
        [RECEIPT.event(r) for r in receipts.new] + [LISTING.event(r) for r in listings.new],
        key=lambda e: (e.occurred_at.timestamp() if e.occurred_at else 0.0, e.delivery_id),
    )
    next_cursor = encode_cursor({"receipts": receipts.mark.dump(), "listings": listings.mark.dump()})
    return EventBatch(events=events, cursor=next_cursor)
