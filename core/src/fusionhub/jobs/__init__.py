"""Durable jobs: one queue interface, backend-independent runner and worker, the embedded SQL backend."""

from fusionhub.jobs.model import FINISHED, Decision, Job, JobStatus, NewJob
from fusionhub.jobs.queue import JobQueue
from fusionhub.jobs.runner import JobRunner
from fusionhub.jobs.sql import SqlJobQueue
from fusionhub.jobs.worker import Worker, WorkerStats

__all__ = [
    "FINISHED",
    "Decision",
    "Job",
    "JobQueue",
    "JobRunner",
    "JobStatus",
    "NewJob",
    "SqlJobQueue",
    "Worker",
    "WorkerStats",
]
