"""One async engine per database, with the transaction discipline each backend needs.

SQLite: WAL (readers never block the writer), a generous busy_timeout, foreign keys on,
and every write transaction opened with BEGIN IMMEDIATE: a deferred BEGIN that later
writes can fail at once with "database is locked" when another process writes first,
while IMMEDIATE takes the write lock up front and waits for it under busy_timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from fusionhub.storage.direct import DirectSqlite, sqlite_file
from fusionhub.storage.filelock import FileLock
from fusionhub.storage.url import database_url, is_sqlite

if TYPE_CHECKING:
    from fusionhub.storage.pg_lane import PgLane

BUSY_TIMEOUT_MS = 60_000
# Pages of WAL after which a commit copies them back into the database (SQLite's default: 1,000).
# Each checkpoint fsyncs; a busy queue rewrites the same few pages, so a larger WAL (≤ ~40 MB)
# checkpoints ten times less often for about the same pages copied. Durability is unchanged.
WAL_AUTOCHECKPOINT_PAGES = 10_000
_WRITE = "fusionhub_write"
# PostgreSQL: a pooled connection idle at least this long (seconds) is pinged before use, so one
# the server dropped while it sat in the pool is replaced. SQLAlchemy's pre-ping pings on every
# checkout: a round trip per transaction, one in every few on a busy job queue.
PING_AFTER_IDLE = 1.0
# PostgreSQL connections of one process: kept open by default, and at most (beyond that, a
# statement waits for one to be given back).
KEPT_CONNECTIONS = 10
MAX_CONNECTIONS = 30
_IDLE_SINCE = "fusionhub_idle_since"
T = TypeVar("T")


class Database:
    def __init__(
        self, url: str | None = None, *, schema: str | None = None, echo: bool = False, connections: int | None = None
    ) -> None:
        """`connections` (PostgreSQL): how many this process keeps open once it has used them, up to
        `MAX_CONNECTIONS`; default `KEPT_CONNECTIONS`. Size it to what the process runs at once: a
        connection opened beyond it is closed when given back, and opening one costs the server a
        process (a worker of 16 slots with 10 kept opened 23 a second)."""
        self.url = database_url(url)
        self.schema = schema
        self.sqlite = is_sqlite(self.url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        else:
            # LIFO: the connection used last is the next one out, so a busy process keeps reusing a
            # few (fresh, with psycopg's prepared statements) and the rest idle until pinged.
            kept = min(max(connections or KEPT_CONNECTIONS, 2), MAX_CONNECTIONS)
            # A quarter of them plain psycopg, for hot single statements (`pg_lane`); the rest pooled.
            lane = max(1, kept // 4)
            kwargs.update(pool_size=kept - lane, max_overflow=MAX_CONNECTIONS - kept, pool_use_lifo=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.lane: PgLane | None = None
        if not self.sqlite:
            from fusionhub.storage.pg_lane import PgLane  # psycopg: only with the postgres extra

            plain = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.lane = PgLane(plain, schema=schema, size=lane)
        self._install_hooks()
        self._migrated = False
        self._migrate_lock = asyncio.Lock()
        # SQLite has one writer at a time anyway; queueing this process's writers here instead of in
        # SQLite's busy handler (which polls with sleeps of up to 100 ms) keeps the write lock busy.
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self._file_lock = FileLock.for_url(self.url) if self.sqlite else None
        path = sqlite_file(self.url) if self.sqlite else None
        # A SQLite file: its own plain connection too, for hot transactions of many statements.
        self.direct = (
            DirectSqlite(path, busy_timeout_ms=BUSY_TIMEOUT_MS, wal_autocheckpoint=WAL_AUTOCHECKPOINT_PAGES)
            if path is not None
            else None
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _install_hooks(self) -> None:
        sync_engine = self.engine.sync_engine
        schema = self.schema

        if self.sqlite:

            @event.listens_for(sync_engine, "connect")
            def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
                # Take transaction control away from the driver so BEGIN is ours to emit.
                dbapi_conn.isolation_level = None
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
                cursor.close()

            @event.listens_for(sync_engine, "begin")
            def _sqlite_begin(conn: sa.Connection) -> None:
                write = conn.get_execution_options().get(_WRITE, False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return

        dialect = sync_engine.dialect

        @event.listens_for(sync_engine, "checkin")
        def _pg_checkin(_dbapi_conn: Any, record: Any) -> None:
            record.info[_IDLE_SINCE] = time.monotonic()

        @event.listens_for(sync_engine, "checkout")
        def _pg_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
            idle_since = record.info.pop(_IDLE_SINCE, None)
            if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
                return  # new, or in use a moment ago
            try:
                dialect.do_ping(dbapi_conn)
            except Exception as exc:
                if dialect.is_disconnect(exc, dbapi_conn, None):  # type: ignore[arg-type]
                    raise sa.exc.DisconnectionError(str(exc)) from exc  # the pool connects afresh
                raise

        if schema is not None:

            @event.listens_for(sync_engine, "connect")
            def _pg_connect(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                cursor.execute(f'SET search_path TO "{schema}"')
                cursor.close()
                dbapi_conn.commit()

    async def ensure_schema(self) -> None:
        """Migrate to the latest revision once per process (first use, or `fusionhub db upgrade`)."""
        if self._migrated:
            return
        async with self._migrate_lock:
            if not self._migrated:
                from fusionhub.storage.migrate import upgrade  # alembic only when migrating: a fast start

                await upgrade(self)
                self._migrated = True

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        """This process's turn, then this machine's turn, to write (SQLite; nothing to take elsewhere)."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
            if self._file_lock is not None:
                await stack.enter_async_context(self._file_lock)
            yield

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite); commits on success."""
        async with self._writer(), self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    async def run_direct(self, fn: Callable[[sqlite3.Connection], T], *, write: bool, quick: bool = False) -> T:
        """`fn` in one transaction on the SQLite file's plain connection (`direct`, which must be
        there), in one thread hop; a write takes its turn with every other writer, as `write` does,
        the lock file only around the transaction itself (`fusionhub.storage.direct`).

        `quick` (a few statements on indexed rows): run without the hop when the connection is
        free and, for a write, the lock file is free at once (without a lock file, SQLite's busy
        handler could stall the event loop: always the hop).
        """
        assert self.direct is not None, "run_direct needs a SQLite file"
        if not write:
            return await self.direct.run(fn, write=False, quick=quick)
        assert self._write_lock is not None
        async with self._write_lock:
            lock = self._file_lock
            return await self.direct.run(fn, write=True, quick=quick and lock is not None, lock=lock)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a single statement, its own transaction. PostgreSQL: in autocommit, with
        no BEGIN and COMMIT round trips around it (a third of a lone read's); elsewhere `read`."""
        if self.dialect != "postgresql":
            async with self.read() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    async def aclose(self) -> None:
        if self.lane is not None:
            await self.lane.aclose()
        await self.engine.dispose()
        if self.direct is not None:
            await self.direct.aclose()
        if self._file_lock is not None:
            self._file_lock.close()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"
