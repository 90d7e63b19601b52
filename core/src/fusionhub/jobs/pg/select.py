"""Which queue a database gets: the PostgreSQL backend for a PostgreSQL URL, the embedded one otherwise."""

from __future__ import annotations

from fusionhub.jobs.queue import JobQueue
from fusionhub.jobs.sql import SqlJobQueue
from fusionhub.storage.database import Database


def queue_for(db: Database, *, database_clock: bool = True) -> JobQueue:
    """`database_clock`: time jobs by the server (callers on wall time); False for a virtual clock."""
    if db.dialect == "postgresql":
        from fusionhub.jobs.pg.queue import PostgresJobQueue

        return PostgresJobQueue(db, database_clock=database_clock)
    return SqlJobQueue(db)
