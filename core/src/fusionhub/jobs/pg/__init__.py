"""The PostgreSQL job backend (many machines, one database, run through procrastinate); the backend by URL."""

from fusionhub.jobs.pg.queue import ProcrastinateJobQueue
from fusionhub.jobs.pg.select import queue_for

__all__ = ["ProcrastinateJobQueue", "queue_for"]
