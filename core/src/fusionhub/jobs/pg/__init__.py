"""The PostgreSQL job backend (several machines, one database) and the choice of backend by URL."""

from fusionhub.jobs.pg.queue import PostgresJobQueue
from fusionhub.jobs.pg.select import queue_for

__all__ = ["PostgresJobQueue", "queue_for"]
