"""One OAuth token refresh per store at a time, across every process on the database.

Platforms that rotate the refresh token do so on every refresh: when two processes (a job in
one worker, an event poll in another) refresh the same expired token at once, the second one
sends a refresh token that is already spent and is told to reconnect the store. So a refresh
holds the store's refresh lock, re-reads the saved tokens first (another process may have just
refreshed: then it uses those), and saves what it gets before letting go.

PostgreSQL: a transaction-level advisory lock on a connection held for the refresh (released if
the process dies). SQLite: a row in `refresh_locks`, taken in a write transaction and deleted
after; a holder that died leaves a row that lapses after `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from fusionhub.errors import TransientError
from fusionhub.http.auth import TokenSet
from fusionhub.storage.database import Database
from fusionhub.storage.schema import refresh_locks as t
from fusionhub.stores import Store

_PG_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended('fusionhub:refresh:' || :store_id, 0))")
_PG_TIMEOUT = sa.text("SELECT set_config('lock_timeout', :timeout, true)")


class RefreshLocks:
    """`async with locks.held(store_id):` — this process alone refreshes the store's token."""

    def __init__(self, db: Database, *, ttl: float = 60.0, patience: float = 90.0, poll: float = 0.05) -> None:
        self.db = db
        self.ttl = ttl  # a refresh (one HTTP request with its timeout) ends well within this
        self.patience = patience  # how long to wait for another process's refresh before giving up
        self.poll = poll

    @asynccontextmanager
    async def held(self, store_id: str) -> AsyncIterator[None]:
        if self.db.dialect == "postgresql":
            async with self._advisory(store_id):
                yield
            return
        holder = uuid.uuid4().hex
        await self._take_row(store_id, holder)
        try:
            yield
        finally:
            async with self.db.write() as conn:
                await conn.execute(t.delete().where(t.c.store_id == store_id, t.c.holder == holder))

    @asynccontextmanager
    async def _advisory(self, store_id: str) -> AsyncIterator[None]:
        async with self.db.engine.connect() as conn, conn.begin():
            await conn.execute(_PG_TIMEOUT, {"timeout": f"{int(self.patience * 1000)}ms"})
            try:
                await conn.execute(_PG_LOCK, {"store_id": store_id})
            except DBAPIError as exc:  # lock_timeout: another process's refresh never ended
                raise _busy() from exc
            yield

    async def _take_row(self, store_id: str, holder: str) -> None:
        give_up = time.monotonic() + self.patience
        while True:
            now = time.time()
            async with self.db.write() as conn:
                taken = (await conn.execute(sa.select(t.c.expires_at).where(t.c.store_id == store_id))).scalar()
                if taken is None or taken <= now:  # free, or its holder died mid-refresh
                    await conn.execute(t.delete().where(t.c.store_id == store_id))
                    await conn.execute(t.insert().values(store_id=store_id, holder=holder, expires_at=now + self.ttl))
                    return
            if time.monotonic() >= give_up:
                raise _busy()
            await asyncio.sleep(self.poll)


def _busy() -> TransientError:
    return TransientError("another process has been refreshing the store's access token for too long; retry later")


class SavedTokens:
    """What a store's refreshing auth flow shares with other processes (`RefreshingAuth.shared`):
    the store's refresh lock, and its tokens as saved now."""

    def __init__(self, locks: RefreshLocks, store: Store, load: Callable[[str], Awaitable[Store]]) -> None:
        self._locks = locks
        self._store = store
        self._load = load

    def held(self) -> AbstractAsyncContextManager[None]:
        return self._locks.held(self._store.id)

    async def load(self) -> TokenSet:
        saved = await self._load(self._store.id)
        self._store.credentials = saved.credentials  # the live store follows what is saved
        return TokenSet.from_credentials(saved.credentials)
