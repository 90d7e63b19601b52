"""Platform events in: verified webhooks, and polling where a platform has no webhooks.

Both paths produce the same normalized `Event`s; each is stored once per (store,
delivery_id) and every new one goes to the observer hook `fusionhub_on_event`.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from fusionhub.capabilities import Capability
from fusionhub.contracts import Level, PluginManifest
from fusionhub.errors import CapabilityUnsupported, RateLimited
from fusionhub.models import Event, EventBatch
from fusionhub.ratelimit import admission
from fusionhub.storage.database import Database
from fusionhub.storage.schema import events as ev
from fusionhub.storage.schema import plugin_instances as pi
from fusionhub.stores import Store

if TYPE_CHECKING:
    from fusionhub.host import Host

DEFAULT_POLLING_INTERVAL = 300.0


@dataclass(frozen=True, slots=True)
class Ingested:
    new: list[Event]
    duplicates: int


def polls_events(manifest: PluginManifest) -> bool:
    """A platform is polled when it has no webhooks (its contract says unsupported)."""
    return manifest.contract(Capability.WEBHOOKS).level is Level.UNSUPPORTED


def polling_interval(manifest: PluginManifest) -> float:
    interval = manifest.constraints_for(Capability.WEBHOOKS).polling_interval
    return float(interval or DEFAULT_POLLING_INTERVAL)


class EventService:
    def __init__(self, runtime: Host) -> None:
        self.runtime = runtime

    @property
    def db(self) -> Database:
        return self.runtime.db

    async def ingest(
        self,
        store: str | Store,
        headers: Mapping[str, str],
        raw_body: bytes,
        *,
        url: str | None = None,
        notify: bool = True,
    ) -> Ingested:
        """A webhook delivery: the plugin verifies the signature over the raw body and parses it.

        `url`: the URL the delivery was posted to (path and query, as received), for platforms
        whose deliveries carry a secret in it instead of a signature; pass it whenever you have it.
        A bad signature raises AuthError, a malformed body ValidationError; nothing is stored then.
        `notify=False`: the caller tells the observers later (`notify`), e.g. after answering the sender.
        """
        loaded = store if isinstance(store, Store) else await self.runtime.stores.load(store)
        impl = self.runtime.hub.registry.impl(loaded.platform, "fusionhub_parse_webhook")
        if impl is None:
            raise CapabilityUnsupported("webhooks", "the plugin has no webhook intake", platform=loaded.platform)
        lowered = {k.lower(): v for k, v in headers.items()}
        offered = {"store": loaded, "headers": lowered, "body": raw_body, "url": url}
        # pluggy's rule: a hookimpl takes the subset of the hookspec's arguments it names.
        taken = inspect.signature(impl).parameters
        events = await impl(**{name: value for name, value in offered.items() if name in taken})
        parsed = [Event.model_validate(e, from_attributes=True) for e in events]
        return await self.record(loaded, parsed, notify=notify)

    async def record(self, store: Store, events: list[Event], *, notify: bool = True) -> Ingested:
        """Store what is new (duplicate deliveries dropped), then (unless `notify=False`) tell the observers."""
        now = self.runtime.clock.now()
        new: list[Event] = []
        async with self.db.write() as conn:
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            for event in events:
                row = {
                    "id": str(uuid.uuid4()),
                    "store_id": store.id,
                    "platform": event.platform,
                    "type": event.type.value,
                    "delivery_id": event.delivery_id,
                    "replay_key": event.replay_key,
                    "resource_id": event.resource_id,
                    "topic": event.topic,
                    "source": event.source.value,
                    "occurred_at": event.occurred_at.timestamp() if event.occurred_at else None,
                    "received_at": now,
                    "payload": event.model_dump(mode="json")["payload"],
                }
                done = await conn.execute(
                    insert(ev)
                    .values(row)
                    .on_conflict_do_nothing()  # the same delivery id, or a replay of signed data already stored
                    .returning(ev.c.id)
                )
                if done.first() is not None:
                    new.append(event)
        if notify:
            self.notify(store, new)
        return Ingested(new=new, duplicates=len(events) - len(new))

    def notify(self, store: Store, events: list[Event]) -> None:
        """Each new event to the observer hook `fusionhub_on_event` (synchronous, like every observer hook)."""
        for event in events:
            self.runtime.hub.registry.hook.fusionhub_on_event(store=store, event=event)

    async def poll(self, store_ref: str) -> Ingested:
        """One poll of a store's events since its stored cursor."""
        store = await self.runtime.stores.load(store_ref)
        impl = self.runtime.hub.registry.impl(store.platform, "fusionhub_poll_events")
        if impl is None:
            raise CapabilityUnsupported(
                "webhooks", "the plugin can neither push nor poll events", platform=store.platform
            )
        async with self.db.read() as conn:
            cursor = (await conn.execute(sa.select(pi.c.event_cursor).where(pi.c.store_id == store.id))).scalar()
        ctx = await self.runtime.context(store.id)
        with admission.call_scope():  # a poll that pages is one call: only its first request may be refused
            raw = await impl(ctx=ctx, cursor=cursor)
        batch = EventBatch.model_validate(raw, from_attributes=True)
        result = await self.record(store, batch.events)
        async with self.db.write() as conn:
            await conn.execute(pi.update().where(pi.c.store_id == store.id).values(event_cursor=batch.cursor))
        return result

    async def poll_due(self) -> dict[str, int]:
        """Poll every enabled store of a webhook-less platform whose interval has passed.

        Claimed with one UPDATE per store, so of several workers exactly one polls it.
        Returns new events per store id. In a worker a full bucket skips the store until it refills.
        """
        found: dict[str, int] = {}
        with admission.refusing():
            await self._poll_due(found)
        return found

    async def _poll_due(self, found: dict[str, int]) -> None:
        for record in await self.runtime.stores.list():
            if not record.is_enabled:
                continue
            try:
                manifest = self.runtime.hub.manifest(record.platform)
            except Exception:  # noqa: S112 - an uninstalled plugin's stores are not polled
                continue
            if not polls_events(manifest) or not self.runtime.hub.registry.impl(
                record.platform, "fusionhub_poll_events"
            ):
                continue
            if not await self._claim(record.id, polling_interval(manifest)):
                continue
            try:
                found[record.id] = len((await self.poll(record.id)).new)
            except RateLimited as exc:
                await self._defer(record.id, polling_interval(manifest), exc.retry_after)

    async def _claim(self, store_id: str, interval: float) -> bool:
        now = self.runtime.clock.now()
        async with self.db.write() as conn:
            done = await conn.execute(
                pi.update()
                .where(
                    pi.c.store_id == store_id,
                    sa.or_(pi.c.events_polled_at.is_(None), pi.c.events_polled_at <= now - interval),
                )
                .values(events_polled_at=now)
            )
        return bool(done.rowcount == 1)

    async def _defer(self, store_id: str, interval: float, retry_after: float) -> None:
        at = self.runtime.clock.now() + retry_after - interval  # due again once the bucket has refilled
        async with self.db.write() as conn:
            await conn.execute(pi.update().where(pi.c.store_id == store_id).values(events_polled_at=at))

    async def list(self, store_ref: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
        query = sa.select(ev).order_by(ev.c.received_at.desc()).limit(limit)
        if store_ref is not None:
            query = query.where(ev.c.store_id == (await self.runtime.stores.get(store_ref)).id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [dict(r._mapping) for r in rows]
