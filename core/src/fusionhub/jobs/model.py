"""What a job is, what a producer asks for, and what a worker decides after running one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"  # runs at `run_at`
    RUNNING = "running"  # leased by a worker until `lease_until`
    WAITING = "waiting"  # a fanned-out bulk waiting for its per-item children
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class NewJob:
    store_id: str
    capability: str
    params: dict[str, Any] = field(default_factory=dict)
    mode: str = "automated"
    run_at: float | None = None  # None: now
    idempotency_key: str | None = None  # a second enqueue with the same key returns the first job
    parent_id: str | None = None
    item_index: int | None = None


@dataclass(slots=True)
class Job:
    id: str
    store_id: str
    capability: str
    params: dict[str, Any]
    mode: str
    status: JobStatus
    run_at: float
    created_at: float
    updated_at: float
    attempts: int = 0
    throttled: int = 0  # times it was re-scheduled for a rate limit
    claims: int = 0  # times a worker took it (a run that may have reached the platform, unless throttled)
    lease_until: float | None = None
    worker_id: str | None = None
    cancel_requested: bool = False
    result: Any = None
    error_category: str | None = None
    error_message: str | None = None
    progress_done: int = 0
    progress_total: int | None = None
    parent_id: str | None = None
    item_index: int | None = None
    idempotency_key: str | None = None
    level: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    finished_at: float | None = None
    run_id: int | None = None  # the backend's id of its latest run (procrastinate's job id on PostgreSQL)
    # Not the job's own: its store's `updated_at` as the claim saw it, so the worker reuses the
    # store's context without looking the store up again while it is unchanged.
    store_version: float | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "store_version"}


@dataclass(frozen=True, slots=True)
class Decision:
    """How a run ended, applied by the backend in one transaction (`JobQueue.settle`)."""

    status: JobStatus
    run_at: float | None = None  # for QUEUED: when to run again
    result: Any = None
    error_category: str | None = None
    error_message: str | None = None
    attempts: int | None = None  # new attempt count, None: unchanged
    throttled: bool = False
    state: dict[str, Any] | None = None  # replaces the job's state (a polled operation handle)
    progress: tuple[int, int | None] | None = None
    level: str | None = None
    children: list[NewJob] = field(default_factory=list)  # WAITING: the per-item jobs to create
