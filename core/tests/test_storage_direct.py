"""A SQLite file's own sqlite3 connection (`Database.run_direct`): one transaction per call, in
the writers' turn, rolled back when it raises or its caller is cancelled before it commits."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fusionhub.jobs import SqlJobQueue
from fusionhub.storage import Database, sqlite_url
from fusionhub.storage.direct import sqlite_file
from fusionhub.storage.schema import rate_buckets

INSERT = "INSERT INTO rate_buckets (key, capacity, refill_rate, tokens, last_refill) VALUES (?, 1, 1, 1, 0)"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_url(tmp_path / "direct.db"))
    await database.ensure_schema()
    yield database
    await database.aclose()


async def keys(db: Database) -> list[str]:
    async with db.read() as conn:
        return [r[0] for r in await conn.execute(sa.select(rate_buckets.c.key).order_by(rate_buckets.c.key))]


async def test_a_direct_write_commits_and_the_engine_reads_it(db: Database) -> None:
    def insert(conn: sqlite3.Connection) -> int:
        conn.execute(INSERT, ("a",))
        return conn.execute("SELECT count(*) FROM rate_buckets").fetchone()[0]

    assert await db.run_direct(insert, write=True) == 1
    assert await keys(db) == ["a"]
    assert await db.run_direct(lambda conn: conn.execute("SELECT key FROM rate_buckets").fetchall(), write=False) == [
        ("a",)
    ]


async def test_a_direct_transaction_that_raises_changes_nothing(db: Database) -> None:
    def half(conn: sqlite3.Connection) -> None:
        conn.execute(INSERT, ("a",))
        raise RuntimeError("after the first statement")

    with pytest.raises(RuntimeError):
        await db.run_direct(half, write=True)
    assert await keys(db) == []
    await db.run_direct(lambda conn: conn.execute(INSERT, ("b",)), write=True)  # the connection is usable still
    assert await keys(db) == ["b"]


async def test_a_cancelled_caller_keeps_the_writers_turn_until_the_transaction_is_rolled_back(db: Database) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> None:
        conn.execute(INSERT, ("cancelled",))
        inside.set()
        release.wait(5)

    writing = asyncio.create_task(db.run_direct(slow, write=True))
    await asyncio.to_thread(inside.wait, 5)
    writing.cancel()
    await asyncio.sleep(0.05)
    assert not writing.done()  # still waiting for its transaction to end

    async def other_writer() -> None:
        async with db.write() as conn:
            await conn.execute(sa.text(INSERT.replace("?", "'next'")))

    other = asyncio.create_task(other_writer())
    await asyncio.sleep(0.05)
    assert not other.done()  # the writers' turn is still the cancelled caller's
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await other
    assert await keys(db) == ["next"]


async def test_the_connection_opens_again_after_aclose(db: Database) -> None:
    await db.run_direct(lambda conn: conn.execute(INSERT, ("a",)), write=True)
    await db.aclose()
    await db.run_direct(lambda conn: conn.execute(INSERT, ("b",)), write=True)
    assert await keys(db) == ["a", "b"]


def test_only_a_plain_file_gets_a_direct_connection(tmp_path: Path) -> None:
    assert sqlite_file(sqlite_url(tmp_path / "q.db")) == str(tmp_path / "q.db")
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("sqlite+aiosqlite://") is None
    assert sqlite_file("sqlite+aiosqlite:///file:q.db?mode=memory&uri=true") is None
    assert sqlite_file(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}?timeout=5") is None


async def test_the_queue_takes_its_turns_on_the_direct_connection_of_a_file(db: Database) -> None:
    assert SqlJobQueue(db)._turns is not None
    memory = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert memory.direct is None and SqlJobQueue(memory)._turns is None
    finally:
        await memory.aclose()

    class Hooked(SqlJobQueue):  # a backend that hooks into the transactions keeps SQLAlchemy's path
        async def _scheduled(self, conn: object, ids: object) -> None:
            pass

    assert Hooked(db)._turns is None


async def test_a_quick_transaction_runs_on_the_loop_thread_when_the_connection_is_free(db: Database) -> None:
    def insert(conn: sqlite3.Connection) -> int:
        conn.execute(INSERT, ("quick",))
        return threading.get_ident()

    assert await db.run_direct(insert, write=True, quick=True) == threading.get_ident()
    assert await db.run_direct(lambda conn: threading.get_ident(), write=False, quick=True) == threading.get_ident()
    assert await keys(db) == ["quick"]


async def test_a_quick_transaction_waits_in_the_thread_while_another_holds_the_connection(db: Database) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> None:
        conn.execute(INSERT, ("slow",))
        inside.set()
        release.wait(5)

    def reader(conn: sqlite3.Connection) -> tuple[int, list[str]]:
        return threading.get_ident(), [r[0] for r in conn.execute("SELECT key FROM rate_buckets ORDER BY key")]

    writing = asyncio.create_task(db.run_direct(slow, write=True))
    await asyncio.to_thread(inside.wait, 5)
    reading = asyncio.create_task(db.run_direct(reader, write=False, quick=True))
    await asyncio.sleep(0.05)
    assert not reading.done()  # not run alongside the open transaction on the same connection
    release.set()
    await writing
    thread, seen = await reading
    assert thread != threading.get_ident() and seen == ["slow"]


async def test_a_direct_write_holds_the_lock_file_only_around_its_transaction(db: Database, tmp_path: Path) -> None:
    from fusionhub.storage.filelock import FileLock

    other = FileLock.for_url(sqlite_url(tmp_path / "direct.db"))  # another process's view of the lock
    assert other is not None
    inside, release = threading.Event(), threading.Event()
    held_inside: list[bool] = []

    def slow(conn: sqlite3.Connection) -> None:
        conn.execute(INSERT, ("locked",))
        held_inside.append(not other.try_hold())
        inside.set()
        release.wait(5)

    def quick(conn: sqlite3.Connection) -> None:
        held_inside.append(not other.try_hold())

    writing = asyncio.create_task(db.run_direct(slow, write=True))
    await asyncio.to_thread(inside.wait, 5)
    release.set()
    await writing
    await db.run_direct(quick, write=True, quick=True)
    assert held_inside == [True, True]
    assert other.try_hold()  # let go after each transaction
    other.let_go()
    other.close()
