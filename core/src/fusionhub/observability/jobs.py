"""What workers tell observers about jobs: each run's outcome, and the queue's depth.

`fusionhub_on_job_settled` hears every run a worker settles (or could not settle: its lease was
lost); `fusionhub_on_queue_depth` hears the unfinished jobs counted by platform, store and
state, sampled by each worker every few seconds, and only while some plugin listens. Both carry
labels an operator groups by, never params or results: they may reach any observer plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from fusionhub.jobs.model import Decision, Job
    from fusionhub.storage.database import Database

log = structlog.get_logger("fusionhub.worker")

UNFINISHED = ("queued", "running", "waiting")
"""The job states a queue's depth counts (`fusionhub.jobs.JobStatus` values)."""

DEFAULT_DEPTH_SECONDS = 5.0
"""How often a worker counts the queue for `fusionhub_on_queue_depth`."""


@dataclass(frozen=True, slots=True)
class JobSettled:
    """One run of a job, as the worker that ran it settled it.

    `outcome` is the job's status after the run (`succeeded`, `failed`, `cancelled`, `waiting`:
    a bulk parked on its per-item jobs, `queued`: to run again), or `throttled` (queued again by a
    rate limit) or `lost_lease` (another worker owns the job now; this run's outcome was dropped).
    """

    job_id: str
    store_id: str
    platform: str
    capability: str
    mode: str
    outcome: str
    duration_ms: float
    attempts: int
    error_category: str | None = None
    item: bool = False  # a per-item job of a fanned-out bulk

    @property
    def finished(self) -> bool:
        return self.outcome in {"succeeded", "failed", "cancelled"}


@dataclass(frozen=True, slots=True)
class QueueCount:
    """Unfinished jobs of one store in one state; `due`: queued ones whose time has come."""

    platform: str
    store_id: str
    state: str
    jobs: int
    due: int = 0


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """The queue's unfinished jobs at `at` (the sampling worker's clock). A store and state with
    no job is absent: an observer that keeps gauges sets those it saw before to zero."""

    at: float
    counts: tuple[QueueCount, ...]

    def total(self, state: str | None = None) -> int:
        return sum(c.jobs for c in self.counts if state is None or c.state == state)


def settled(job: Job, decision: Decision, *, kept: bool, platform: str, duration_ms: float) -> JobSettled:
    """The record of one run (`kept`: the queue accepted the worker's decision)."""
    status = decision.status.value
    outcome = "lost_lease" if not kept else "throttled" if status == "queued" and decision.throttled else status
    return JobSettled(
        job_id=job.id,
        store_id=job.store_id,
        platform=platform,
        capability=job.capability,
        mode=job.mode,
        outcome=outcome,
        duration_ms=duration_ms,
        attempts=decision.attempts if decision.attempts is not None else job.attempts,
        error_category=decision.error_category if status == "failed" else None,
        item=job.parent_id is not None,
    )


async def count_queue(db: Database, now: float) -> QueueDepth:
    """One grouped count over the unfinished jobs (indexed by status), joined to their stores' plugins."""
    import sqlalchemy as sa  # here: fusionhub.plugin imports this module, and plugins need no database

    from fusionhub.storage.schema import jobs, plugin_instances, plugins

    due = sa.func.sum(sa.case((sa.and_(jobs.c.status == "queued", jobs.c.run_at <= now), 1), else_=0))
    query = (
        sa.select(plugins.c.slug, jobs.c.store_id, jobs.c.status, sa.func.count(), due)
        .join(plugin_instances, plugin_instances.c.store_id == jobs.c.store_id)
        .join(plugins, plugins.c.id == plugin_instances.c.plugin_id)
        .where(jobs.c.status.in_(UNFINISHED))
        .group_by(plugins.c.slug, jobs.c.store_id, jobs.c.status)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    counts = tuple(
        QueueCount(platform=r[0], store_id=str(r[1]), state=r[2], jobs=int(r[3]), due=int(r[4] or 0))
        for r in sorted(rows, key=lambda r: (r[0], str(r[1]), r[2]))
    )
    return QueueDepth(at=now, counts=counts)


def tell(hook: Any, **record: Any) -> None:
    """Call each plugin's implementation of an observer hook on its own: one observer's failure
    never keeps the record from the others, nor fails the worker."""
    for impl in hook.get_hookimpls():
        try:
            impl.function(**{name: record[name] for name in impl.argnames})
        except Exception as exc:
            log.error("observer_failed", hook=hook.name, plugin=impl.plugin_name, error=type(exc).__name__)


async def sample_queue_depth(
    db: Database, now: Callable[[], float], hook: Any, stop: asyncio.Event, every: float = DEFAULT_DEPTH_SECONDS
) -> None:
    """Count the queue every `every` seconds until `stop`, telling `hook` (`fusionhub_on_queue_depth`)."""
    while not stop.is_set():
        try:
            tell(hook, depth=await count_queue(db, now()))
        except Exception as exc:  # a database hiccup: the next sample tries again
            log.warning("queue_depth_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
