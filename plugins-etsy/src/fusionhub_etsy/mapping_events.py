"""Polled Etsy records as normalized events: which id, timestamps, event types and payload each
resource (receipts, listings) has."""

from __future__ import annotations

from dataclasses import dataclass

from fusionhub.plugin import Event, EventSource, EventType
from fusionhub_etsy.mapping import Json, timestamp


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
