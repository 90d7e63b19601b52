"""A few plain psycopg connections in autocommit, for hot single statements on PostgreSQL.

A rate bucket's spend or level read is one statement, several per job; a worker's turn
(`fusionhub_exchange_v2`) is one a turn. Through SQLAlchemy's async engine each cost ≈ 4 × the
statement itself in the worker's CPU (a pooled connection's checkout, switching it to autocommit
and back, compiling and wrapping the result: ≈ 550 µs against ≈ 130 µs for psycopg alone,
measured side by side). Here the connections stay in autocommit, are handed out last-in
first-out, and only the statement's own work is left.

A connection whose statement failed, was cancelled, or ended inside a transaction is closed, not
reused. A statement that fails on a reused connection because the server dropped it (a restart,
an idle timeout) is sent once more on a fresh one: callers send only statements for which a
second run is harmless (a read; a spend whose first run may have counted: a token lost, never an
overspend; a turn whose first run committed: its settles are found done, its claims go back to
the queue when their lease lapses, none run).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus


class PgLane:
    def __init__(self, conninfo: str, *, schema: str | None, size: int) -> None:
        self._conninfo = conninfo
        self._schema = schema
        self.size = size
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        if self._schema is not None:
            await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
        return conn

    def _for_this_loop(self) -> asyncio.Semaphore:
        # A connection belongs to the event loop it was opened on: another loop starts afresh.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._idle, self._slots, self._loop = [], asyncio.Semaphore(self.size), loop
        return self._slots

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[psycopg.AsyncConnection[Any], bool]]:
        reused = bool(self._idle)
        conn = self._idle.pop() if reused else await self._connect()
        try:
            yield conn, reused
        except BaseException:
            await conn.close()
            raise
        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            await conn.close()
        else:
            self._idle.append(conn)

    async def fetchall(self, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement, its own transaction."""
        async with self._for_this_loop():
            for attempt in range(2):
                try:
                    async with self._connection() as (conn, reused):
                        cursor = await conn.execute(query, params)
                        return await cursor.fetchall()
                except psycopg.OperationalError:
                    if not reused or attempt:
                        raise
            raise AssertionError("unreachable")

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
