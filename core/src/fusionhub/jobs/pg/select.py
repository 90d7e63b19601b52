"""Which queue a database gets: procrastinate for a PostgreSQL URL, the embedded one otherwise."""

from __future__ import annotations

from fusionhub.jobs.queue import JobQueue
from fusionhub.jobs.sql import SqlJobQueue
from fusionhub.storage.database import Database


def queue_for(db: Database) -> JobQueue:
    if db.dialect == "postgresql":
        from fusionhub.storage import pg_procrastinate

        if not pg_procrastinate.available():
            raise RuntimeError(
                "the PostgreSQL job queue runs through procrastinate, which is not installed: "
                "pip install 'fusionhub[postgres]'"
            )
        from fusionhub.jobs.pg.queue import ProcrastinateJobQueue

        return ProcrastinateJobQueue(db)
    return SqlJobQueue(db)
