"""The job-queue interface every backend implements: embedded SQL (`sql`), procrastinate on PostgreSQL (`pg`).

The semantics live in the backend-independent runner and worker; a backend only stores
jobs and applies each `Decision` atomically. Its guarantees, checked by the shared queue
suite: a claimed job is leased to one worker until `lease_until`; a job whose lease ran out
(its worker died) is claimable again; `settle` by a worker that lost its lease changes
nothing; a finished child updates its parent's progress and wakes the parent when it was
the last one; enqueue with a known idempotency key returns the existing job.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from fusionhub.jobs.model import Decision, Job, JobStatus, NewJob


class JobQueue(Protocol):
    async def enqueue(self, job: NewJob, *, now: float) -> Job: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        store_id: str | None = None,
        parent_id: str | None = None,
        limit: int | None = 100,
    ) -> builtins.list[Job]:
        """Newest first, except children of a parent, which come in item order."""
        ...

    async def cancel(self, job_id: str, *, now: float) -> Job | None:
        """Queued/waiting: cancelled now (children too). Running: asked to stop; its worker ends it."""
        ...

    async def claim(self, worker_id: str, *, now: float, lease_seconds: float, tree: str | None = None) -> Job | None:
        """The next due job, leased to `worker_id`; None when nothing is due.

        `tree`: only that job or its per-item jobs (`fusionhub run --wait` runs its own job, no
        other). A backend whose store lines run in order also runs the jobs ahead of them in line.
        """
        ...

    async def claim_many(
        self, worker_id: str, *, now: float, lease_seconds: float, limit: int, tree: str | None = None
    ) -> builtins.list[Job]:
        """Up to `limit` jobs, each as `claim` would take it, in one go."""
        ...

    async def exchange(
        self,
        worker_id: str,
        settles: Sequence[tuple[Job, Decision]],
        *,
        now: float,
        lease_seconds: float,
        claim: int,
        tree: str | None = None,
    ) -> tuple[builtins.list[bool], builtins.list[Job]]:
        """A worker's turn: settle these runs (each as `settle` would: kept or not, in order) and
        claim up to `claim` jobs, in as few transactions as the backend allows."""
        ...

    async def extend(self, job_id: str, worker_id: str, *, lease_until: float) -> bool:
        """Keep the lease; False when the lease is lost or a cancel was requested."""
        ...

    async def settle(self, job_id: str, worker_id: str, decision: Decision, *, now: float) -> bool:
        """Apply a run's outcome; False (and no change) unless `worker_id` still holds the lease."""
        ...

    async def next_run_at(self) -> float | None:
        """When the earliest queued job is due (for an idle worker's nap)."""
        ...

    async def counts(self) -> dict[str, int]:
        """Jobs per status."""
        ...

    async def prune(self, *, finished_before: float) -> int:
        """Delete finished jobs (each with its per-item jobs) that finished before this time; how many."""
        ...
