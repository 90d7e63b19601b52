"""A PostgreSQL process keeps the connections it runs at once (`Database(connections=…)`): a busy
worker reuses them instead of opening and closing one per statement beyond the default."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from runtime_db import PG_URL, _pg_schema

from fusionhub.storage import Database
from fusionhub.storage.database import KEPT_CONNECTIONS, MAX_CONNECTIONS

pytestmark = pytest.mark.postgres


async def _backends(db: Database, at_once: int, rounds: int) -> list[set[int]]:
    """The server processes that answered each round of `at_once` statements held together."""

    async def one() -> int:
        async with db.one_statement() as conn:
            return int((await conn.execute(sa.text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))).scalar_one())

    return [set(await asyncio.gather(*(one() for _ in range(at_once)))) for _ in range(rounds)]


async def test_connections_used_at_once_are_kept_between_rounds() -> None:
    admin, _ = await _pg_schema()  # skips without PostgreSQL
    await admin.aclose()
    kept = Database(PG_URL, connections=16)  # 12 pooled, 4 in the plain lane
    default = Database(PG_URL)
    try:
        pooled = kept.engine.pool.size()
        rounds = await _backends(kept, pooled, 3)
        assert all(len(r) == pooled for r in rounds)
        assert rounds[0] == rounds[1] == rounds[2]  # the same server processes every round
        churned = await _backends(default, 16, 3)
        # Beyond those the default keeps, each round's extra connections were closed and new ones opened.
        assert len(churned[0] & churned[1]) == default.engine.pool.size()
    finally:
        await kept.aclose()
        await default.aclose()


def _kept(db: Database) -> int:
    assert db.lane is not None
    return db.engine.pool.size() + db.lane.size


def test_a_process_never_opens_more_than_the_maximum() -> None:
    most = Database(PG_URL, connections=500)
    assert _kept(most) == MAX_CONNECTIONS
    assert most.engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    assert _kept(Database(PG_URL)) == KEPT_CONNECTIONS


async def _lane_backends(db: Database, at_once: int) -> set[int]:
    assert db.lane is not None
    lane = db.lane
    rows = await asyncio.gather(
        *(lane.fetchall("SELECT pg_backend_pid() FROM pg_sleep(0.05)", ()) for _ in range(at_once))
    )
    return {r[0][0] for r in rows}


async def test_the_plain_lane_keeps_its_connections_and_recovers_from_a_dropped_one() -> None:
    admin, _ = await _pg_schema()  # skips without PostgreSQL
    db = Database(PG_URL, connections=16)
    try:
        assert db.lane is not None and db.lane.size == 4
        first = await _lane_backends(db, 8)  # twice its size: the rest wait their turn
        assert len(first) == 4 and await _lane_backends(db, 4) == first
        async with admin.one_statement() as conn:  # the server drops them (a restart, an idle timeout)
            for pid in first:
                await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.2)
        again = await _lane_backends(db, 4)  # each sent once more, on a fresh connection
        assert len(again) == 4 and not again & first
    finally:
        await db.aclose()
        await admin.aclose()


async def test_a_cancelled_statement_never_returns_its_connection() -> None:
    await (await _pg_schema())[0].aclose()
    db = Database(PG_URL, connections=4)
    try:
        assert db.lane is not None
        lane = db.lane
        (used,) = await _lane_backends(db, 1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(lane.fetchall("SELECT pg_backend_pid() FROM pg_sleep(5)", ()), 0.2)
        assert await _lane_backends(db, 1) != {used}  # closed, not handed out mid-statement
    finally:
        await db.aclose()
