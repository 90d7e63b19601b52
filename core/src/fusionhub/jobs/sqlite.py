"""The embedded backend's hot path on a SQLite file: a worker's turn as plain SQL.

A turn (settle the runs that ended, claim as many jobs as slots are free) is a dozen short
statements. Through SQLAlchemy's async layer each one is a greenlet switch and a hop to
aiosqlite's thread and back; here the whole turn is one synchronous function on the file's own
`sqlite3` connection, run in one thread hop (`Database.run_direct`) under the same write locks
and in the same BEGIN IMMEDIATE transaction. The statements do what `SqlJobQueue`'s do (the
shared queue suites run through this path on SQLite); everything else, and PostgreSQL, keeps
the SQLAlchemy statements.

Values are stored as SQLAlchemy stores them on SQLite: ids as 32 hex digits (`Uuid`), JSON as
`json.dumps` text.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from fusionhub.jobs.model import FINISHED, Decision, Job, JobStatus
from fusionhub.jobs.sql import STORE_VERSION, _values, job_from, settled_status, settled_values
from fusionhub.storage.schema import jobs as t

# Every statement below is built from the schema's column names and fixed words; values are bound.
_COLUMNS = tuple(c.name for c in t.columns)
_JSON = frozenset({"params", "result", "state"})
_IDS = frozenset({"id", "store_id", "parent_id"})
assert {s.value for s in FINISHED} == {"succeeded", "failed", "cancelled"}  # spelled out in the SQL below

# Whose lease a settle needs, and what of the row it reads (the rest it was given).
_HELD = (
    "SELECT cancel_requested, parent_id, store_id, capability FROM jobs "
    "WHERE id = ? AND worker_id = ? AND status = 'running'"
)
_HOLD_BACK = (
    "UPDATE jobs SET run_at = ?, updated_at = ? "
    "WHERE store_id = ? AND capability = ? AND status = 'queued' AND run_at < ?"
)
_CHILDREN_DONE = "SELECT count(*) FROM jobs WHERE parent_id = ? AND status IN ('succeeded', 'failed', 'cancelled')"
_PARENT_PROGRESS = "UPDATE jobs SET progress_done = ?, updated_at = ? WHERE id = ?"
_WAKE_PARENT = (
    "UPDATE jobs SET status = 'queued', run_at = ? "
    "WHERE id = ? AND status = 'waiting' AND progress_total IS NOT NULL AND progress_total <= ?"
)
_CANCEL_QUEUED = (
    "UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ?, lease_until = NULL "
    "WHERE id IN ({ids}) AND status IN ('queued', 'waiting')"
)
_ASK_TO_STOP = "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id IN ({ids}) AND status = 'running'"
_UNFINISHED_CHILDREN = (
    "SELECT id FROM jobs WHERE parent_id IN ({ids}) AND status NOT IN ('succeeded', 'failed', 'cancelled')"
)
# When the next job is due or the next lease lapses (an idle worker's nap).
_NEXT = (
    "SELECT (SELECT min(run_at) FROM jobs WHERE status = 'queued'), "
    "(SELECT min(lease_until) FROM jobs WHERE status = 'running')"
)
# A claim's candidates, in order (see `SqlJobQueue._candidates`): due jobs of stores with room to
# run one more (`{room}`: the store concurrency), then jobs whose worker died; `{mine}`: a tree's only.
# The due pick walks the stores that have queued jobs, one index step each (a recursive skip over
# `status, store_id, …`), and takes the first due job of each store with room from the same index:
# its cost follows the number of such stores, not the backlog. Scanning queued jobs in run_at
# order skipped every job of a busy store, 10,000 rows a claim with 50 stores at their limits.
_DUE = (
    "WITH RECURSIVE waiting(store_id) AS ("
    "SELECT (SELECT store_id FROM jobs WHERE status = 'queued' ORDER BY store_id LIMIT 1) "
    "UNION ALL SELECT (SELECT store_id FROM jobs WHERE status = 'queued' AND store_id > waiting.store_id "
    "ORDER BY store_id LIMIT 1) FROM waiting WHERE waiting.store_id IS NOT NULL"
    "), firsts(id, run_at, created_at) AS ("
    "SELECT j.id, j.run_at, j.created_at FROM waiting JOIN jobs AS j ON j.id = ("
    "SELECT id FROM jobs WHERE status = 'queued' AND store_id = waiting.store_id AND run_at <= :now{mine} "
    "ORDER BY run_at, created_at LIMIT 1) "
    "WHERE (SELECT count(*) FROM jobs WHERE store_id = waiting.store_id AND status = 'running' "
    "AND lease_until > :now) < {room}"
    ") SELECT id FROM firsts ORDER BY run_at, created_at LIMIT 1"
)
_ORPHANED = "SELECT id FROM jobs WHERE status = 'running' AND lease_until <= :now{mine} ORDER BY lease_until LIMIT 1"
_MINE = " AND (id = :tree OR parent_id = :tree)"
_TAKE = (
    "UPDATE jobs SET status = 'running', worker_id = :worker, lease_until = :lease_until, updated_at = :now, "
    "claims = claims + 1 WHERE id = ({pick}) "
    "RETURNING {columns}, (SELECT updated_at FROM stores WHERE stores.id = jobs.store_id)"
)


def _db_id(value: str) -> str:
    return value.replace("-", "")


def _job(row: Sequence[Any]) -> Job:
    """A claimed row (its columns in table order, then its store's version) as a Job."""
    return job_from({**_loaded(dict(zip(_COLUMNS, row, strict=False))), STORE_VERSION: row[len(_COLUMNS)]})


def _loaded(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as SQLAlchemy would read them on SQLite (`_stored`'s inverse)."""
    for name in _JSON:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    for name in _IDS:
        if values[name] is not None:
            values[name] = str(uuid.UUID(values[name]))
    values["cancel_requested"] = bool(values["cancel_requested"])
    return values


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as SQLAlchemy would bind them on SQLite."""
    out = {}
    for name, value in values.items():
        if name in _JSON:
            value = json.dumps(value)
        elif name in _IDS and value is not None:
            value = _db_id(value)
        out[name] = value
    return out


@functools.cache
def _insert(columns: tuple[str, ...]) -> str:
    """INSERT of these columns, from the parameters (the rest take their defaults, as SQLAlchemy's does)."""
    return f"INSERT INTO jobs ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"  # noqa: S608


@functools.cache
def _set_by_id(columns: tuple[str, ...], throttled: bool) -> str:
    """UPDATE jobs SET <columns, from the parameters> [, throttled = throttled + 1] WHERE id = :p_id."""
    sets = [f"{c} = :{c}" for c in columns] + (["throttled = throttled + 1"] if throttled else [])
    return f"UPDATE jobs SET {', '.join(sets)} WHERE id = :p_id"  # noqa: S608


class SqliteTurns:
    """A worker's turn on SQLite as synchronous functions of a connection inside a transaction."""

    def __init__(self, store_concurrency: int) -> None:
        self._any: dict[bool, tuple[str, ...]] = {}
        self._take: dict[bool, tuple[str, ...]] = {}
        for tree in (False, True):
            mine = _MINE if tree else ""
            picks = (_DUE.format(room=int(store_concurrency), mine=mine), _ORPHANED.format(mine=mine))
            self._any[tree] = picks
            self._take[tree] = tuple(_TAKE.format(pick=pick, columns=", ".join(_COLUMNS)) for pick in picks)

    # --- claims -----------------------------------------------------------------------

    @staticmethod
    def _params(now: float, tree: str | None) -> dict[str, Any]:
        return {"now": now} if tree is None else {"now": now, "tree": _db_id(tree)}

    @staticmethod
    def next_run_at(conn: sqlite3.Connection) -> float | None:
        times = [x for x in conn.execute(_NEXT).fetchone() if x is not None]
        return min(times) if times else None

    def any_due(self, conn: sqlite3.Connection, now: float, tree: str | None) -> bool:
        params = self._params(now, tree)
        return any(conn.execute(pick, params).fetchone() is not None for pick in self._any[tree is not None])

    def claim(
        self, conn: sqlite3.Connection, worker_id: str, now: float, lease_seconds: float, limit: int, tree: str | None
    ) -> list[Job]:
        """Up to `limit` jobs, one statement each (a claimed job's store may have no room for the next)."""
        params = {**self._params(now, tree), "worker": worker_id, "lease_until": now + lease_seconds}
        takes = self._take[tree is not None]
        jobs: list[Job] = []
        while len(jobs) < limit:
            for take in takes:
                rows = conn.execute(take, params).fetchall()  # fetched to the end: the statement completes
                if rows:
                    jobs.append(_job(rows[0]))
                    break
            else:
                break
        return jobs

    # --- settles ----------------------------------------------------------------------

    def exchange(
        self,
        conn: sqlite3.Connection,
        worker_id: str,
        settles: Sequence[tuple[Job, Decision]],
        now: float,
        lease_seconds: float,
        claim: int,
        tree: str | None,
    ) -> tuple[list[bool], list[Job]]:
        kept = [self.settle(conn, job.id, worker_id, decision, now) for job, decision in settles]
        jobs = self.claim(conn, worker_id, now, lease_seconds, claim, tree) if claim > 0 else []
        return kept, jobs

    def settle(self, conn: sqlite3.Connection, job_id: str, worker_id: str, decision: Decision, now: float) -> bool:
        """As `SqlJobQueue._settle`: False, and nothing changed, unless `worker_id` holds the lease."""
        row_id = _db_id(job_id)
        held = conn.execute(_HELD, (row_id, worker_id)).fetchone()
        if held is None:
            return False  # the lease ran out and another worker has (or had) the job
        cancel_requested, parent_id, store_id, capability = held
        status = settled_status(decision, cancel_requested=bool(cancel_requested))
        values = settled_values(decision, status, now)
        conn.execute(_set_by_id(tuple(values), decision.throttled), {**_stored(values), "p_id": row_id})
        if status is JobStatus.WAITING and decision.children:
            rows = [_stored(_values(child, now)) for child in decision.children]
            conn.executemany(_insert(tuple(rows[0])), rows)
        if status is JobStatus.CANCELLED:
            self._cancel_tree(conn, [row_id], now)
        if decision.throttled and status is JobStatus.QUEUED:
            # The store's bucket for this capability is empty: its other due jobs wait too.
            run_at = values["run_at"]
            conn.execute(_HOLD_BACK, (run_at, now, store_id, capability, run_at))
        if status.finished and parent_id is not None:
            self._child_finished(conn, parent_id, now)
        return True

    @staticmethod
    def _cancel_tree(conn: sqlite3.Connection, ids: list[str], now: float) -> None:
        """Queued and waiting jobs of the tree cancelled now, running ones asked to stop (stored ids)."""
        while ids:
            marks = ", ".join("?" * len(ids))
            conn.execute(_CANCEL_QUEUED.format(ids=marks), (now, now, *ids))
            conn.execute(_ASK_TO_STOP.format(ids=marks), (now, *ids))
            ids = [r[0] for r in conn.execute(_UNFINISHED_CHILDREN.format(ids=marks), ids)]

    @staticmethod
    def _child_finished(conn: sqlite3.Connection, parent_id: str, now: float) -> None:
        done = conn.execute(_CHILDREN_DONE, (parent_id,)).fetchone()[0]
        conn.execute(_PARENT_PROGRESS, (done, now, parent_id))
        # The last child wakes the parent, which then aggregates the children's results.
        conn.execute(_WAKE_PARENT, (now, parent_id, done))
