"""Stores bound to their plugin's sandbox, the fake shop kept in the database (`stores add --sandbox`).

The store's row in `sandbox_states` holds the sandbox's snapshot; every process that runs the store
serves each request on it inside one write transaction (the row locked on PostgreSQL, the database's
write lock on SQLite), so separate `fusionhub run` processes and workers see one shop and never lose
each other's writes. Its credentials are the ones the sandbox issued: fixed, so any process
authenticates; a refreshed token is kept in both the store and the shop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa

from fusionhub.clock import Clock
from fusionhub.errors import FusionHubError, ValidationError
from fusionhub.registry import Registry
from fusionhub.sandbox.persistence import Held, KeptTransport, PersistsState, StateError
from fusionhub.sandbox.protocol import Sandbox
from fusionhub.storage.database import Database
from fusionhub.storage.schema import sandbox_states as t
from fusionhub.stores import Store
from fusionhub.stores.service import StoreRecord, StoreService


@dataclass
class _Row:
    state: bytes | None
    version: int
    new: bytes | None = None

    def replace(self, state: bytes) -> None:
        self.new = state


@dataclass(frozen=True, slots=True)
class SandboxInfo:
    """What `stores show` says of a store's kept sandbox."""

    platform: str
    version: int
    size: int
    updated_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "version": self.version, "bytes": self.size, "updated_at": self.updated_at}


class DatabaseKeeper:
    """One store's sandbox state in `sandbox_states`, locked for the length of a request."""

    def __init__(self, db: Database, store_id: str, clock: Clock) -> None:
        self.db, self.store_id, self.clock = db, store_id, clock

    @asynccontextmanager
    async def held(self) -> AsyncIterator[Held]:
        query = sa.select(t.c.state, t.c.version).where(t.c.store_id == self.store_id)
        if self.db.dialect == "postgresql":
            query = query.with_for_update()  # SQLite: the write transaction holds the database's lock
        async with self.db.write() as conn:
            found = (await conn.execute(query)).first()
            if found is None:
                raise StateError("the store's sandbox was removed")
            row = _Row(bytes(found.state), int(found.version))
            yield row
            if row.new is not None:
                values = {"state": row.new, "version": row.version + 1, "updated_at": self.clock.now()}
                await conn.execute(t.update().where(t.c.store_id == self.store_id).values(**values))


class SandboxStores:
    def __init__(self, db: Database, registry: Registry, clock: Clock) -> None:
        self.db, self.registry, self.clock = db, registry, clock
        # store id -> its route into the sandbox in this process (one per store: it knows which
        # kept version the live sandbox holds)
        self._live: dict[str, KeptTransport] = {}

    def _new_sandbox(self, platform: str) -> Sandbox:
        try:
            hook = self.registry.platform(platform).impls.get("fusionhub_sandbox")
        except FusionHubError as exc:
            raise ValidationError(errors=[{"loc": "platform", "msg": exc.message}]) from None
        if hook is None:
            msg = f"the {platform} plugin offers no sandbox; add the store with its real credentials instead"
            raise ValidationError(errors=[{"loc": "platform", "msg": msg}], platform=platform)
        sandbox: Sandbox = hook(clock=self.clock, options={})
        if not isinstance(sandbox, PersistsState):
            msg = f"the {platform} plugin's sandbox cannot be kept between processes (it has no snapshot/restore)"
            raise ValidationError(errors=[{"loc": "platform", "msg": msg}], platform=platform)
        return sandbox

    async def add_store(
        self, stores: StoreService, name: str, platform: str, config: Mapping[str, Any] | None = None
    ) -> StoreRecord:
        """A new store on a fresh sandbox shop of `platform`: its credentials and config are the
        sandbox's (`config` overrides keys of the latter)."""
        sandbox = self._new_sandbox(platform)
        state = sandbox.snapshot()  # type: ignore[attr-defined]  # checked by _new_sandbox
        record = await stores.add(name, platform, sandbox.credentials(), {**sandbox.store_config(), **(config or {})})
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    t.insert().values(
                        store_id=record.id, platform=platform, state=state, version=0, updated_at=self.clock.now()
                    )
                )
        except BaseException:
            await stores.remove(record.id)  # no store left behind that would reach the real platform
            raise
        return record

    async def info(self, store_id: str) -> SandboxInfo | None:
        query = sa.select(t.c.platform, t.c.version, sa.func.length(t.c.state), t.c.updated_at)
        async with self.db.read() as conn:
            row = (await conn.execute(query.where(t.c.store_id == store_id))).first()
        return None if row is None else SandboxInfo(row[0], int(row[1]), int(row[2]), float(row[3]))

    async def current(self, store_id: str) -> Sandbox:
        """A sandbox holding the store's kept shop as it is now (to read it, or take sample params from)."""
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(t.c.platform, t.c.state).where(t.c.store_id == store_id))).first()
        if row is None:
            raise ValidationError(errors=[{"loc": "store", "msg": "the store is not bound to a sandbox"}])
        sandbox = self._new_sandbox(row[0])
        sandbox.restore(bytes(row[1]))  # type: ignore[attr-defined]  # checked by _new_sandbox
        return sandbox

    async def bound(self) -> set[str]:
        """The ids of every store bound to a kept sandbox."""
        async with self.db.read() as conn:
            return {str(r[0]) for r in (await conn.execute(sa.select(t.c.store_id))).all()}

    async def transport(self, store: Store) -> httpx.AsyncBaseTransport | None:
        """The store's route into its kept sandbox; None for a store of a real platform."""
        if await self.info(store.id) is None:
            self._live.pop(store.id, None)
            return None
        transport = self._live.get(store.id)
        if transport is None:
            keeper = DatabaseKeeper(self.db, store.id, self.clock)
            transport = self._live[store.id] = KeptTransport(self._new_sandbox(store.platform), keeper)
        return transport
