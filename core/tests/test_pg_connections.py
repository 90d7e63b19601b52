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
    kept = Database(PG_URL, connections=16)
    default = Database(PG_URL)
    try:
        rounds = await _backends(kept, 16, 3)
        assert all(len(r) == 16 for r in rounds)
        assert rounds[0] == rounds[1] == rounds[2]  # the same 16 server processes every round
        churned = await _backends(default, 16, 3)
        # Beyond the 10 kept by default, each round's extra connections were closed and new ones opened.
        assert len(churned[0] & churned[1]) == KEPT_CONNECTIONS
    finally:
        await kept.aclose()
        await default.aclose()


def test_a_process_never_opens_more_than_the_maximum() -> None:
    assert Database(PG_URL, connections=500).engine.pool.size() == MAX_CONNECTIONS
    assert Database(PG_URL, connections=500).engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    assert Database(PG_URL).engine.pool.size() == KEPT_CONNECTIONS
