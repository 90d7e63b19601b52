"""A worker's turn as one server-side call: `fusionhub_exchange_v2` (migrations 0007, 0008).

`ProcrastinateJobQueue` settles and claims statement by statement in Python; each statement is
a round trip to the server, about a dozen per job. The call does the same for the common turn
(settles that end a run or send it back to the queue, plus claims) in one statement, run in
autocommit: its own transaction, one round trip; a per-item job's settle counts it on its parent
and wakes the parent after its last child, in the same call. Whatever the function leaves to
the caller ('python': a cancel to carry through) goes through the Python path afterwards, untouched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from fusionhub.jobs.model import Decision, Job, JobStatus
from fusionhub.jobs.pg.runs import END_STATUS, line
from fusionhub.jobs.sql import STORE_VERSION, decided_fields
from fusionhub.storage.pg_procrastinate import DUE_NOW, QUEUE, TASK
from fusionhub.storage.schema import jobs as t

# The decisions the function applies itself (a per-item job's too): no children to create, no cancel to spread.
_SIMPLE = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.QUEUED})

OFFSET, KEPT, LOST, PYTHON, CLAIMED = "offset", "kept", "lost", "python", "claimed"

# Sent on the plain connections (`Database.lane`, psycopg's own placeholders): a turn is a
# worker's most frequent statement, and SQLAlchemy's engine around it cost more of the worker's
# CPU than the call's own rows. The job's columns named one by one (`(o_job).*` comes in the
# table's physical order, which migrations that added columns made differ from `jobs.c`), its
# uuids as text, as `Uuid(as_uuid=False)` reads them through SQLAlchemy.
COLUMNS = ("o_outcome", "o_offset", "o_stalled", STORE_VERSION, *(c.name for c in t.c))
_UUIDS = frozenset(c.name for c in t.c if isinstance(c.type, sa.Uuid))
_CALL = """
SELECT x.o_outcome, x.o_offset, x.o_stalled, x.o_store_version, $columns
FROM fusionhub_exchange_v2(
    %(worker)s::text, %(now)s::float8, %(lease)s::float8, %(claim)s::integer, %(lines)s::text[],
    %(settles)s::jsonb, %(queue)s::text, %(task)s::text, %(due_now)s::float8
) AS x
"""
EXCHANGE = _CALL.replace(
    "$columns", ", ".join(f"(x.o_job).{c.name}{'::text' if c.name in _UUIDS else ''}" for c in t.c)
)


def simple(job: Job, decision: Decision) -> bool:
    """Whether the function can settle this run (it may still hand it back: see `PYTHON`)."""
    return decision.status in _SIMPLE and not decision.children and job.run_id is not None


def _settle(job: Job, decision: Decision) -> dict[str, Any]:
    """What `SqlJobQueue._settle` would write, and how the run ends, as the function reads it."""
    status = decision.status
    entry: dict[str, Any] = {
        "id": job.id,
        "status": status.value,
        "end": END_STATUS.get(status),
        # Refused by the bucket, or again at once: the run keeps its place at the head of its line.
        "keep_place": decision.throttled or decision.run_at is None,
        "throttled": decision.throttled,
    }
    if status is JobStatus.QUEUED and decision.run_at is not None:
        entry["run_at"] = decision.run_at
    if status is JobStatus.SUCCEEDED:
        entry["result"] = decision.result
    entry.update(decided_fields(decision))
    return entry


def params(
    worker_id: str, settles: Sequence[tuple[Job, Decision]], *, now: float, lease_seconds: float, claim: int
) -> dict[str, Any]:
    return {
        "worker": worker_id,
        "now": now,
        "lease": lease_seconds,
        "claim": claim,
        # Taken in this order by every transaction that holds several lines (`runs.lock_lines`).
        "lines": sorted({line(job.store_id) for job, _ in settles}),
        "settles": json.dumps([_settle(job, decision) for job, decision in settles]),
        "queue": QUEUE,
        "task": TASK,
        "due_now": DUE_NOW,
    }
