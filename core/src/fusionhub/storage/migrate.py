"""Alembic, run programmatically: `fusionhub db upgrade` and every first use call `upgrade`."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works: it only has to be the same in every process that migrates.
_PG_MIGRATION_LOCK = 7_346_112_001
# From this revision on, every queued job on PostgreSQL has a procrastinate run or waits in its
# store's line; a database upgraded from before it gets runs for its queued jobs.
RUNS_SINCE = "0002"


class Connections(Protocol):
    """What migrating needs of a database: its transactions (`Database` has them; this module
    stays below it, so `Database.ensure_schema` can call `upgrade` without a cycle)."""

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(db: Connections, revision: str = "head") -> None:
    """Migrate to `revision` in one transaction; concurrent callers wait for each other."""
    config = alembic_config()

    def run(conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        if conn.dialect.name == "postgresql":  # procrastinate's schema, next to ours
            from fusionhub.storage import pg_procrastinate

            if pg_procrastinate.available():
                runs_before = before is not None and before < RUNS_SINCE
                pg_procrastinate.install(conn, adopt_queued=runs_before and revision == "head")

    async with db.write() as conn:
        await conn.run_sync(run)


async def current(db: Connections) -> str | None:
    def read(conn: sa.Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.read() as conn:
        return await conn.run_sync(read)
