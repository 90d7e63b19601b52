"""Run one job and decide what happens next; the same for every backend.

The capability runs through `Hub.execute` in refusing mode (`fusionhub.ratelimit.admission`):
a full bucket at the call's first request surfaces as RateLimited and becomes a re-scheduled
job instead of a sleeping worker; once admitted, the call's follow-up requests wait.
A workaround bulk fans out through `ctx.fan_out`: the first run creates one child job
per item and parks the parent; when the last child finishes the parent runs
again and the same `fan_out` call now returns the children's aggregated results. An
unfinished OperationHandle becomes a job re-scheduled to poll it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pydantic

from fusionhub.capabilities import Capability, spec_of
from fusionhub.context import RunMode, StoreContext
from fusionhub.errors import ErrorCategory, FusionHubError, PlatformError, RateLimited
from fusionhub.jobs.errors import (
    ACTIONS,
    DEFAULT_MAX_RETRIES,
    MAX_PLATFORM_THROTTLES,
    MAX_THROTTLES,
    Action,
    backoff,
    throttle_backoff,
)
from fusionhub.jobs.model import Decision, Job, JobStatus, NewJob
from fusionhub.models import BulkResult, ItemOutcome, OperationHandle
from fusionhub.models.common import OperationStatus, item_key
from fusionhub.observability.redaction import scrub
from fusionhub.parked import Parked
from fusionhub.ratelimit import admission
from fusionhub.ratelimit.limiter import BucketRefused

if TYPE_CHECKING:
    from fusionhub.host import Host
    from fusionhub.jobs.queue import JobQueue

# job.state key: how many times the platform itself refused the job for its rate limit.
PLATFORM_THROTTLES = "platform_throttles"

CURRENT_JOB: contextvars.ContextVar[Job | None] = contextvars.ContextVar("fusionhub_current_job", default=None)


class AwaitChildren(Parked):
    """Raised by fan_out inside a worker: the parent job parks until its children finish."""

    def __init__(self, children: list[NewJob]) -> None:
        super().__init__(f"{len(children)} child jobs")
        self.children = children


# One adapter per type: building one derives a schema (a fan-out built one per item, ~70 µs each).
_ADAPTERS: dict[type, pydantic.TypeAdapter[Any]] = {}


def jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    kind = type(value)
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = pydantic.TypeAdapter(kind)
    return adapter.dump_python(value, mode="json")


def aggregate(children: list[Job]) -> BulkResult:
    items = []
    for child in sorted(children, key=lambda c: c.item_index or 0):
        ok = child.status is JobStatus.SUCCEEDED
        items.append(
            ItemOutcome(
                index=child.item_index or 0,
                key=item_key(child.params),
                ok=ok,
                result=child.result if ok and isinstance(child.result, dict) else None,
                error_category=None if ok else (child.error_category or child.status.value),
                error=None if ok else (child.error_message or f"item {child.status.value}"),
            )
        )
    succeeded = sum(1 for i in items if i.ok)
    return BulkResult(total=len(items), succeeded=succeeded, failed=len(items) - succeeded, items=items)


def bulk_from_handle(handle: OperationHandle) -> BulkResult:
    """A finished platform bulk's summary (total, succeeded, failed, unknown, errors by index) as a
    BulkResult. An item whose outcome is unknown (its result line is missing) is neither ok nor failed."""
    summary = handle.result or {}
    total = int(summary.get("total", handle.total or 0))
    entries = {int(e["index"]): e for e in summary.get("errors", []) if "index" in e}
    failed = int(summary.get("failed", sum(1 for e in entries.values() if "category" not in e)))
    unknown = int(summary.get("unknown", 0))
    complete = len(entries) == failed + unknown  # every item not ok is itemized: list every item
    items = []
    for i in range(total) if complete else sorted(entries):
        entry = entries.get(i)
        error = "; ".join(map(str, entry.get("errors") or [])) if entry else None
        items.append(ItemOutcome(index=i, ok=entry is None, error=error, error_category=(entry or {}).get("category")))
    return BulkResult(
        total=total, succeeded=total - failed - unknown, failed=failed, unknown=unknown, items=items, operation=handle
    )


def queue_fan_out(
    queue: JobQueue, direct: Callable[[Capability, list[dict[str, Any]]], Awaitable[BulkResult]] | None
) -> Callable[[Capability, list[dict[str, Any]]], Awaitable[BulkResult]]:
    """A store's fan_out: per-item child jobs inside a worker, the direct loop anywhere else."""

    async def fan_out(capability: Capability, items: list[dict[str, Any]]) -> BulkResult:
        job = CURRENT_JOB.get()
        if job is None:
            if direct is None:
                raise PlatformError("fan-out is not available outside a worker for this store")
            return await direct(capability, items)
        if not items:
            return BulkResult(total=0, succeeded=0, failed=0, items=[])
        children = await queue.list(parent_id=job.id, limit=None)
        if not children:
            raise AwaitChildren(
                [
                    NewJob(
                        store_id=job.store_id,
                        capability=Capability(capability).value,
                        params=dict(jsonable(item)),
                        mode=RunMode.AUTOMATED.value,
                        parent_id=job.id,
                        item_index=index,
                    )
                    for index, item in enumerate(items)
                ]
            )
        if any(not c.finished for c in children):
            raise AwaitChildren([])  # woken too early (a lease ran out): wait for the rest
        return aggregate(children)

    return fan_out


class JobRunner:
    """`rate_patience`: seconds a job's first request may wait for its store's tokens in place
    before the job is re-scheduled instead (`fusionhub.ratelimit.admission.patience`)."""

    def __init__(self, runtime: Host, *, rate_patience: float = 0.0) -> None:
        self.runtime = runtime
        self.rate_patience = rate_patience

    async def run(self, job: Job) -> Decision:
        token = CURRENT_JOB.set(job)
        try:
            with admission.refusing(patience=self.rate_patience):
                return await self._run(job)
        except AwaitChildren as waiting:
            total = len(waiting.children) or job.progress_total
            state = {**job.state, "parked": True}  # its next run resumes (reads its children), it re-sends nothing
            progress = (job.progress_done, total)
            return Decision(JobStatus.WAITING, children=waiting.children, progress=progress, state=state)
        except FusionHubError as exc:
            return self._on_error(job, exc)
        except Exception as exc:  # a bug in the runtime must fail the job, not kill the worker
            return Decision(
                JobStatus.FAILED,
                error_category=ErrorCategory.PLATFORM.value,
                error_message=f"internal error: {type(exc).__name__}: {scrub(str(exc))}",
            )
        finally:
            CURRENT_JOB.reset(token)

    async def _run(self, job: Job) -> Decision:
        ctx = await self.runtime.context(job.store_id, version=job.store_version)
        if "handle" in job.state:
            return await self._poll(job, ctx, OperationHandle.model_validate(job.state["handle"]))
        outcome = await self.runtime.hub.execute(
            ctx.store,
            job.capability,
            self._params(job),
            mode=RunMode(job.mode),
            call_key=job.idempotency_key or job.id,
            rerun_since=job.created_at if self._may_have_sent(job) else None,
        )
        value = outcome.value
        if isinstance(value, OperationHandle):
            return self._handle_decision(job, value, outcome.level.value)
        if isinstance(value, BulkResult) and value.operation is not None and not value.operation.finished:
            # A native bulk that started a platform operation: its outcome comes with the polled handle.
            return self._handle_decision(job, value.operation, outcome.level.value, as_bulk=True)
        return Decision(
            JobStatus.SUCCEEDED, result=jsonable(value), level=outcome.level.value, progress=self._done(job)
        )

    @staticmethod
    def _done(job: Job) -> tuple[int, int | None] | None:
        return (job.progress_total, job.progress_total) if job.progress_total else None

    @staticmethod
    def _may_have_sent(job: Job) -> bool:
        """An earlier run of this job may have reached the platform: it was claimed before, and not
        every earlier claim ended refused at its first request (a throttle sends nothing) or parked
        waiting for its per-item jobs (its next run collects them)."""
        return job.claims - job.throttled > 1 and not job.state.get("parked")

    @staticmethod
    def _params(job: Job) -> dict[str, Any]:
        """A create retried after a lost response must not create twice: pin its idempotency key."""
        params = dict(job.params)
        model = spec_of(job.capability).params
        if "idempotency_key" in model.model_fields and not params.get("idempotency_key"):
            params["idempotency_key"] = job.idempotency_key or job.id
        return params

    async def _poll(self, job: Job, ctx: StoreContext, handle: OperationHandle) -> Decision:
        impl = self.runtime.hub.registry.impl(ctx.store.platform, "fusionhub_poll_operation")
        if impl is None:
            raise PlatformError(f"{ctx.store.platform} returned an operation handle but cannot poll it")
        with admission.call_scope():
            updated = await impl(ctx=ctx, handle=handle)
        handle = OperationHandle.model_validate(updated, from_attributes=True)
        return self._handle_decision(job, handle, job.level, as_bulk=bool(job.state.get("as_bulk")))

    def _handle_decision(
        self, job: Job, handle: OperationHandle, level: str | None, *, as_bulk: bool = False
    ) -> Decision:
        progress = (handle.done, handle.total) if handle.done is not None else None
        state = {"handle": handle.model_dump(mode="json"), "as_bulk": as_bulk}
        if not handle.finished:
            at = self.runtime.clock.now() + handle.poll_after_seconds
            return Decision(JobStatus.QUEUED, run_at=at, state=state, progress=progress, level=level)
        if handle.status is not OperationStatus.COMPLETED:
            return Decision(
                JobStatus.FAILED,
                state=state,
                error_category=ErrorCategory.PLATFORM.value,
                error_message=handle.error or f"the platform's operation ended {handle.status.value}",
                level=level,
            )
        result = bulk_from_handle(handle) if as_bulk else handle
        return Decision(JobStatus.SUCCEEDED, result=jsonable(result), state=state, progress=progress, level=level)

    def _on_error(self, job: Job, exc: FusionHubError) -> Decision:
        now = self.runtime.clock.now()
        action = ACTIONS.get(exc.category, Action.FAIL)
        if action is Action.RESCHEDULE and isinstance(exc, RateLimited):
            return self._rate_limited(job, exc, now)
        if action is Action.RETRY:
            attempts = job.attempts + 1
            limit = self._max_retries(job)
            if attempts <= limit:
                return Decision(JobStatus.QUEUED, run_at=now + backoff(attempts), attempts=attempts)
            message = f"{exc.user_message} (gave up after {attempts} attempts)"
            return Decision(
                JobStatus.FAILED, attempts=attempts, error_category=exc.category.value, error_message=message
            )
        return Decision(JobStatus.FAILED, error_category=exc.category.value, error_message=exc.user_message)

    @staticmethod
    def _rate_limited(job: Job, exc: RateLimited, now: float) -> Decision:
        """Re-scheduled: at the store's bucket's exact wait, or backing off from a platform that refused.

        Bounded: a job refused too often fails with the rate-limit category instead of waiting forever.
        """
        waits = job.throttled + 1
        platform = not isinstance(exc, BucketRefused)
        refusals = int(job.state.get(PLATFORM_THROTTLES, 0)) + int(platform)
        if waits > MAX_THROTTLES or refusals > MAX_PLATFORM_THROTTLES:
            who = "the platform" if platform else "the store's rate limit"
            return Decision(
                JobStatus.FAILED,
                throttled=True,
                error_category=exc.category.value,
                error_message=f"{exc.user_message} (gave up: refused by {who} {refusals if platform else waits} times)",
            )
        if not platform:  # nothing was sent, and the bucket said exactly when there is room
            return Decision(JobStatus.QUEUED, run_at=now + exc.retry_after, throttled=True)
        state = {**job.state, PLATFORM_THROTTLES: refusals}
        return Decision(
            JobStatus.QUEUED, run_at=now + throttle_backoff(refusals, exc.retry_after), throttled=True, state=state
        )

    def _max_retries(self, job: Job) -> int:
        try:
            slug = self.runtime.platform_of(job.store_id)
            limit = self.runtime.hub.manifest(slug).constraints_for(job.capability).max_retries
        except (FusionHubError, KeyError, ValueError):
            limit = None
        return DEFAULT_MAX_RETRIES if limit is None else limit


__all__ = ["CURRENT_JOB", "AwaitChildren", "JobRunner", "aggregate", "queue_fan_out"]
