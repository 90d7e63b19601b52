"""A SQLite file's own plain `sqlite3` connection and thread, for transactions of many short statements.

Through SQLAlchemy's async layer every statement is a greenlet switch and a hop to aiosqlite's
thread and back. Here a whole transaction is one synchronous function, run in one hop to a
thread that owns the connection. The connection has the engine's pragmas: WAL, the same busy
timeout, foreign keys on, synchronous=NORMAL (in WAL a commit survives the process being
killed; only the OS crashing may lose the last ones, as with the engine), the same WAL size
between checkpoints.

The caller holds the database's write locks around a write (`Database.run_direct`). A caller
cancelled mid-transaction waits for the thread to finish, so its locks outlive the transaction,
and the transaction is rolled back unless it had reached its commit.

A `quick` transaction (a few statements on indexed rows: a queue turn, a rate bucket's spend) runs
on the calling thread when nobody else is using the connection: the hop to the thread and back cost
more than the transaction itself, on every job. It cannot be cancelled half-way, having no await.

A write's lock file (`lock`, queueing the writers of other processes) is taken and let go around
the transaction on the thread that runs it, never across an await: held over an event loop's
hand-over, it stayed held while the loop ran other jobs' steps, and four busy worker processes
then held it 83 % of the time for transactions of a fraction of a millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fusionhub.storage.filelock import FileLock

T = TypeVar("T")


class _Abandoned(Exception):
    """The caller was cancelled before the transaction committed: roll it back."""


class DirectSqlite:
    def __init__(self, path: str, *, busy_timeout_ms: int, wal_autocheckpoint: int) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.wal_autocheckpoint = wal_autocheckpoint
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None  # started on first use, again after `aclose`
        # Held by whichever thread uses the connection: the executor's, or the loop's for a quick one.
        self._using = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        """Used by one thread at a time (`_using`): the executor's, or the event loop's."""
        if self._conn is None:
            # isolation_level=None: the driver opens no transaction of its own; BEGIN is ours.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA wal_autocheckpoint={int(self.wal_autocheckpoint)}")
            self._conn = conn
        return self._conn

    def _transaction(
        self, fn: Callable[[sqlite3.Connection], T], begin: str, abandoned: threading.Event, lock: FileLock | None
    ) -> T:
        with self._using:
            if lock is not None:
                lock.hold()
            try:
                return self._within(fn, begin, abandoned)
            finally:
                if lock is not None:
                    lock.let_go()

    def _within(self, fn: Callable[[sqlite3.Connection], T], begin: str, abandoned: threading.Event | None) -> T:
        conn = self._connection()
        conn.execute(begin)
        try:
            result = fn(conn)
            if abandoned is not None and abandoned.is_set():  # the caller was cancelled: it will not see the result
                raise _Abandoned
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    async def run(
        self, fn: Callable[[sqlite3.Connection], T], *, write: bool, quick: bool = False, lock: FileLock | None = None
    ) -> T:
        """`fn(conn)` inside one transaction (BEGIN IMMEDIATE when `write`), committed when it returns,
        `lock` held around it; `quick`: on this thread when the connection and `lock` are free at
        once (see the module's docstring)."""
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        if quick and self._using.acquire(blocking=False):
            try:
                if lock is None or lock.try_hold():
                    try:
                        return self._within(fn, begin, None)
                    finally:
                        if lock is not None:
                            lock.let_go()
            finally:
                self._using.release()
        abandoned = threading.Event()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fusionhub-sqlite")
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._transaction, fn, begin, abandoned, lock
        )
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            abandoned.set()
            while not future.done():  # the transaction must end before the caller lets go of its locks
                with contextlib.suppress(BaseException):  # cancelled again, or its outcome: raised below
                    await asyncio.shield(future)
            with contextlib.suppress(BaseException):
                future.result()  # retrieved, so asyncio does not log it as never retrieved
            raise

    def _close(self) -> None:
        with self._using:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._close)
            executor.shutdown(wait=False)


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for an in-memory database, a `file:` URI or query options
    (those stay with the engine alone: a second connection would not see the same database)."""
    database = url.split(":///", 1)[1] if ":///" in url else ""
    if not database or database == ":memory:" or database.startswith("file:") or "?" in database:
        return None
    return database
