"""The worker loop, the same for every backend: claim, run (leased, heartbeat), settle.

A claimed job is leased for `lease_seconds` and its worker renews the lease every quarter of
that while the job runs, however long it runs: a live worker keeps its jobs, and a dead one's
(SIGKILL, a lost machine) are claimed by another worker once the lease lapses, within seconds.

Nothing here sleeps for a rate limit or a long-running operation: those come back as jobs
re-scheduled in the queue. An idle worker naps until the next job is due (capped, so jobs
enqueued by other processes are seen quickly).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from fusionhub.clock import Clock
from fusionhub.errors import ErrorCategory
from fusionhub.jobs.model import Decision, Job, JobStatus
from fusionhub.jobs.runner import JobRunner
from fusionhub.observability import jobs as observed
from fusionhub.storage.outage import unreachable

if TYPE_CHECKING:
    from fusionhub.host import Host
    from fusionhub.jobs.queue import JobQueue


log = structlog.get_logger("fusionhub.worker")


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class WorkerStats:
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    rescheduled: int = 0
    throttled: int = 0
    waiting: int = 0
    cancelled: int = 0
    lost_leases: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


# A dead worker's jobs wait this long for another worker; a live one renews every quarter of it.
DEFAULT_LEASE_SECONDS = 10.0
# A job whose first request would wait at most this long for its store's tokens waits in its slot;
# longer, it is re-scheduled (`fusionhub.ratelimit.admission`). Covers a store running at 4 req/s
# or more, whose every request waits about 1 / rate once it runs at its limit.
DEFAULT_RATE_PATIENCE = 0.25
HEARTBEATS_PER_LEASE = 4
# Stores a worker connects before its first claim (`Worker.prepare`): a bounded start-up cost.
PREPARED_STORES = 64
# A turn that could not reach the database is tried again after this long, doubling up to the
# most (seconds); a stopping worker tries a few times before it leaves (`Worker._wait_out`).
OUTAGE_WAIT_FIRST = 0.5
OUTAGE_WAIT_MAX = 30.0
OUTAGE_TRIES_AT_STOP = 3


class Worker:
    def __init__(
        self,
        runtime: Host,
        *,
        queue: JobQueue | None = None,
        concurrency: int = 4,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat: bool = True,
        idle_nap: float = 0.5,
        worker_id: str | None = None,
        tree: str | None = None,
        queue_depth_every: float = observed.DEFAULT_DEPTH_SECONDS,
        rate_patience: float = DEFAULT_RATE_PATIENCE,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if not lease_seconds > 0:
            raise ValueError(f"lease_seconds must be more than 0, not {lease_seconds}")
        if not queue_depth_every > 0:
            raise ValueError(f"queue_depth_every must be more than 0, not {queue_depth_every}")
        self.runtime = runtime
        self.queue = queue or runtime.queue
        if not rate_patience >= 0:
            raise ValueError(f"rate_patience must be 0 or more seconds, not {rate_patience}")
        self.runner = JobRunner(runtime, rate_patience=rate_patience)
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.tree = tree  # run only this job and its per-item jobs (`fusionhub run --wait`)
        self.heartbeat = heartbeat
        self.idle_nap = idle_nap
        self.id = worker_id or new_worker_id()
        self.stats = WorkerStats()
        self.queue_depth_every = queue_depth_every  # seconds between counts for fusionhub_on_queue_depth
        self._stop = asyncio.Event()

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def stop(self) -> None:
        """Finish the jobs in hand, claim no more."""
        self._stop.set()

    async def prepare(self, limit: int = PREPARED_STORES) -> int:
        """Connect up to `limit` enabled stores before the first claim: their clients, decrypted
        credentials and buckets (`Host.context`), which every worker process builds for itself
        and then keeps. A store's context costs milliseconds of CPU; built at its first job, each
        would hold that job's slot while other jobs wait (every store's first job at once when a
        worker joins a busy queue). A store whose plugin is not installed here, or that fails to
        connect, is left for its jobs to report. How many were connected."""
        platforms = self.runtime.hub.registry.platforms
        records = [r for r in await self.runtime.stores.list() if r.is_enabled and r.platform in platforms]
        prepared = 0
        for record in records[:limit]:
            try:
                await self.runtime.context(record.id)
            except Exception as exc:  # its jobs will fail with the reason; the worker serves the rest
                log.info("store_not_prepared", store=record.name, error=type(exc).__name__)
            else:
                prepared += 1
        return prepared

    # --- loops ------------------------------------------------------------------------

    async def _claim(self) -> Job | None:
        if self.tree is None:  # the queue's own signature: a backend without `tree` still plugs in
            return await self.queue.claim(self.id, now=self.clock.now(), lease_seconds=self.lease_seconds)
        return await self.queue.claim(self.id, now=self.clock.now(), lease_seconds=self.lease_seconds, tree=self.tree)

    async def run_until_idle(self) -> WorkerStats:
        """Run every job, waiting on the clock for re-scheduled ones, until none is left to run."""
        while not self._stop.is_set():
            batch: list[Job] = []
            for _ in range(self.concurrency):
                job = await self._claim()
                if job is None:
                    break
                batch.append(job)
            if batch:
                await asyncio.gather(*(self.process(job) for job in batch))
                continue
            due = await self.queue.next_run_at()
            if due is None:
                break
            wait = max(0.0, due - self.clock.now())
            if self.tree is not None:  # what is due may be others' jobs: stop when ours is done
                root = await self.queue.get(self.tree)
                if root is None or root.finished:
                    break
                wait = wait or self.idle_nap
            await self.clock.sleep(wait)
        return self.stats

    async def run(self) -> WorkerStats:
        """Serve until `stop()`, running up to `concurrency` jobs at once.

        One loop takes every turn: the runs that ended since its last turn are settled and as
        many jobs as there are free slots claimed, together (`JobQueue.exchange`: one
        transaction on SQLite), rather than a transaction per claim and per settle. When a run
        ends, the loop lets the others step once before its turn, so runs ending together (short
        jobs started together) share it.
        """
        running: dict[asyncio.Task[Decision], Job] = {}
        begun: dict[str, float] = {}  # job id → when its run started, for the settled record
        ended: list[tuple[Job, Decision]] = []
        outages = 0  # turns in a row the database could not be reached
        sampler = self._sample_queue_depth()
        try:
            while True:
                stopping = self._stop.is_set()
                free = 0 if stopping else self.concurrency - len(running)
                claimed: list[Job] = []
                if ended or free:
                    try:
                        kept, claimed = await self.queue.exchange(
                            self.id,
                            ended,
                            now=self.clock.now(),
                            lease_seconds=self.lease_seconds,
                            claim=free,
                            tree=self.tree,
                        )
                    except Exception as exc:
                        if not unreachable(exc):
                            raise
                        outages += 1
                        if not await self._wait_out(exc, outages, len(ended), stopping):
                            return self.stats
                        continue  # the same settles again, and claims for the slots free then
                    outages = 0
                    settled_at = self.clock.now()
                    for (job, decision), held in zip(ended, kept, strict=True):
                        self._count(decision, held)
                        started = begun.pop(job.id, settled_at)
                        self._tell_settled(job, decision, held, (settled_at - started) * 1000)
                    ended = []
                for job in claimed:
                    running[asyncio.create_task(self._execute(job))] = job
                    begun[job.id] = self.clock.now()
                if stopping and not running:
                    return self.stats
                if running and (claimed or len(running) == self.concurrency or stopping):
                    finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    if len(finished) < len(running):  # runs ending together settle in one turn
                        await asyncio.sleep(0)
                        finished = {task for task in running if task.done()}
                else:  # free slots and nothing to claim: wait for a run to end, the next due job, or stop
                    finished = await self._nap(set(running))
                ended = [(running.pop(task), task.result()) for task in finished]
        finally:
            for task in running:
                task.cancel()
            if sampler is not None:
                sampler.cancel()

    async def _wait_out(self, exc: BaseException, outages: int, settles: int, stopping: bool) -> bool:
        """The database could not be reached for a turn: wait (0.5 s, doubling, at most
        `OUTAGE_WAIT_MAX`; a stop cuts it short) and say whether to try again. The runs that
        ended stay in hand and are settled by the next turn that gets through; the runs going
        on go on. A stopping worker tries `OUTAGE_TRIES_AT_STOP` times, then leaves: the
        settles it could not record are lost with their leases, which lapse, and the jobs run
        again elsewhere (as after a kill)."""
        if stopping and outages >= OUTAGE_TRIES_AT_STOP:
            log.error("worker_left_unsettled", settles=settles, error=type(exc).__name__)
            return False
        wait = min(OUTAGE_WAIT_MAX, OUTAGE_WAIT_FIRST * 2 ** (outages - 1))
        log.warning("database_unreachable", error=type(exc).__name__, retry_in=wait, settles=settles)
        if stopping:  # the stop is already set: a plain, shorter wait
            await asyncio.sleep(min(wait, 1.0))
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
        return True

    def _sample_queue_depth(self) -> asyncio.Task[None] | None:
        """While an observer listens for queue depth, count the queue every few seconds."""
        depth = self.runtime.hub.registry.hook.fusionhub_on_queue_depth
        if not depth.get_hookimpls():
            return None
        sample = observed.sample_queue_depth(self.runtime.db, self.clock.now, depth, self._stop, self.queue_depth_every)
        return asyncio.create_task(sample)

    async def _nap(self, running: set[asyncio.Task[Decision]]) -> set[asyncio.Task[Decision]]:
        """Idle slots: look again when the next job is due (capped at `idle_nap`: other processes
        enqueue too), when a run ends, or at stop. A due job this worker could not claim (its store
        is busy elsewhere) is looked for again soon, not at once."""
        try:
            due = await self.queue.next_run_at()
        except Exception as exc:
            if not unreachable(exc):
                raise
            due = None  # the next turn finds out whether it is back
        nap = self.idle_nap if due is None else min(self.idle_nap, max(0.0, due - self.clock.now()))
        stop = asyncio.create_task(self._stop.wait())
        waiters: set[asyncio.Future[Any]] = {*running, stop}
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=max(nap, self.idle_nap / 10), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stop.cancel()
        return {task for task in running if task in done}

    # --- one job ----------------------------------------------------------------------

    async def process(self, job: Job) -> Decision:
        started = self.clock.now()
        decision = await self._execute(job)
        kept = await self.queue.settle(job.id, self.id, decision, now=self.clock.now())
        self._count(decision, kept)
        self._tell_settled(job, decision, kept, (self.clock.now() - started) * 1000)
        return decision

    def _tell_settled(self, job: Job, decision: Decision, kept: bool, duration_ms: float) -> None:
        hook = self.runtime.hub.registry.hook.fusionhub_on_job_settled
        if not hook.get_hookimpls():
            return
        try:
            platform = self.runtime.platform_of(job.store_id)
        except KeyError:  # the run failed before its store was connected in this process (e.g. disabled)
            platform = ""
        record = observed.settled(job, decision, kept=kept, platform=platform, duration_ms=duration_ms)
        observed.tell(hook, job=record)

    async def _execute(self, job: Job) -> Decision:
        task = asyncio.create_task(self.runner.run(job))
        beats: list[asyncio.Task[None]] = []

        def start_beating() -> None:
            if not task.done():
                beats.append(asyncio.create_task(self._heartbeat(job, task)))

        # The first beat is due one interval in: most runs end before it, and need no task for it.
        interval = self.lease_seconds / HEARTBEATS_PER_LEASE
        timer = asyncio.get_running_loop().call_later(interval, start_beating) if self.heartbeat else None
        try:
            return await task
        except asyncio.CancelledError:
            if task.cancelled() and not self._current_task_cancelling():
                return Decision(
                    JobStatus.CANCELLED,
                    error_category=ErrorCategory.REFUSED.value,
                    error_message="cancelled on request while running",
                )
            raise
        finally:
            if timer is not None:
                timer.cancel()
            for beat in beats:
                beat.cancel()

    @staticmethod
    def _current_task_cancelling() -> bool:
        current = asyncio.current_task()
        return current is not None and current.cancelling() > 0

    async def _heartbeat(self, job: Job, task: asyncio.Task[Decision]) -> None:
        """Started one interval into the run (`_execute`): a beat now, then one every interval."""
        interval = self.lease_seconds / HEARTBEATS_PER_LEASE
        while not task.done():
            try:
                held = await self.queue.extend(job.id, self.id, lease_until=self.clock.now() + self.lease_seconds)
            except Exception as exc:  # a database hiccup: the lease still has beats to spare, try again
                log.warning("heartbeat_failed", job_id=job.id, error=type(exc).__name__)
            else:
                if not held:  # cancel requested, or the lease went to another worker
                    task.cancel()
                    return
            await asyncio.sleep(interval)

    def _count(self, decision: Decision, kept: bool) -> None:
        s = self.stats
        s.runs += 1
        if not kept:
            s.lost_leases += 1
            return
        s.by_status[decision.status.value] = s.by_status.get(decision.status.value, 0) + 1
        if decision.status is JobStatus.SUCCEEDED:
            s.succeeded += 1
        elif decision.status is JobStatus.FAILED:
            s.failed += 1
        elif decision.status is JobStatus.CANCELLED:
            s.cancelled += 1
        elif decision.status is JobStatus.WAITING:
            s.waiting += 1
        elif decision.status is JobStatus.QUEUED:
            s.rescheduled += 1
            s.throttled += int(decision.throttled)
