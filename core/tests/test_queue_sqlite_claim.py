"""SQLite's claim pick (`fusionhub.jobs.sqlite`): the job the queue's rules choose, read from
indexes whatever the backlog (no statement of a claim or a settle scans the jobs table)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusionhub.jobs.sqlite import _CHILDREN_DONE, _NEXT, SqliteTurns
from fusionhub.storage import Database, sqlite_url

NOW = 100.0
STATUSES = ("queued", "running", "waiting", "succeeded", "failed")
# A plan line that reads the whole table: "SCAN jobs" or "SCAN j" with no index named after it.
FULL_SCAN = re.compile(r"^SCAN (jobs|j)( AS \w+)?$")
PER_STORE = "ix_jobs_status_store_id_run_at_created_at"  # migration 0009


@dataclass(frozen=True)
class Row:
    store: int
    status: str
    run_at: float
    lease_until: float | None
    child: bool  # a child of the tree "tree-0"


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("claim") / "jobs.db"

    async def migrate() -> None:
        database = Database(sqlite_url(path))
        await database.ensure_schema()
        await database.aclose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def conn(empty_db: Path) -> Iterator[sqlite3.Connection]:
    # Foreign keys stay off (sqlite3's default): the rows here need no stores.
    connection = sqlite3.connect(empty_db, isolation_level=None)
    connection.execute("BEGIN")
    yield connection
    connection.execute("ROLLBACK")
    connection.close()


def _fill(conn: sqlite3.Connection, rows: list[Row]) -> None:
    conn.execute("DELETE FROM jobs")
    for n, row in enumerate(rows):
        conn.execute(
            "INSERT INTO jobs (id, store_id, capability, params, mode, status, attempts, throttled, run_at, "
            "lease_until, cancel_requested, progress_done, parent_id, state, created_at, updated_at) "
            "VALUES (?, ?, 'noop', '{}', 'sandbox', ?, 0, 0, ?, ?, 0, 0, ?, '{}', ?, 0)",
            (
                f"job-{n}",
                f"store-{row.store}",
                row.status,
                row.run_at,
                row.lease_until,
                "tree" if row.child else None,
                n,
            ),
        )


def _expected(rows: list[Row], room: int, tree: bool) -> set[str | None]:
    """The rule, spelled out: the earliest due queued job (run_at, then creation) of a store running
    fewer than `room` jobs on live leases; failing that, the running job whose lease lapsed first."""
    busy = {
        s: sum(1 for r in rows if r.store == s and r.status == "running" and (r.lease_until or 0) > NOW)
        for s in range(4)
    }
    mine = [(n, r) for n, r in enumerate(rows) if not tree or r.child]
    due = [(r.run_at, n) for n, r in mine if r.status == "queued" and r.run_at <= NOW and busy[r.store] < room]
    if due:
        return {f"job-{min(due)[1]}"}
    lapsed = [(r.lease_until or 0, n) for n, r in mine if r.status == "running" and (r.lease_until or 0) <= NOW]
    first = min(lapsed, default=(None, None))[0]
    return {f"job-{n}" for until, n in lapsed if until == first} or {None}  # equal leases: either


rows_strategy = st.lists(
    st.builds(
        Row,
        store=st.integers(0, 3),
        status=st.sampled_from(STATUSES),
        run_at=st.sampled_from([10.0, 50.0, 100.0, 150.0]),  # ties on run_at: creation order decides
        lease_until=st.one_of(st.none(), st.sampled_from([20.0, 60.0, 120.0])),
        child=st.booleans(),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, room=st.integers(1, 3), tree=st.booleans())
def test_the_pick_is_the_queues_rule(conn: sqlite3.Connection, rows: list[Row], room: int, tree: bool) -> None:
    # Only running jobs hold leases, and each running job holds one.
    rows = [
        Row(r.store, r.status, r.run_at, (r.lease_until or 60.0) if r.status == "running" else None, r.child)
        for r in rows
    ]
    _fill(conn, rows)
    params = {"now": NOW, "tree": "tree"}
    found = None
    for pick in SqliteTurns(room)._any[tree]:
        if (row := conn.execute(pick, params).fetchone()) is not None:
            found = row[0]
            break
    assert found in _expected(rows, room, tree)


def test_a_claim_and_a_settle_read_jobs_through_indexes(conn: sqlite3.Connection) -> None:
    # A backlog like the scale scenario's, so the planner sees real statistics.
    _fill(conn, [Row(n % 50, "queued" if n % 4 else "succeeded", float(n), None, False) for n in range(4000)])
    conn.execute("ANALYZE")
    params = {"now": NOW, "tree": "tree", "worker": "w", "lease_until": NOW + 60}
    turns = SqliteTurns(1)
    statements = [*turns._any[False], *turns._any[True], *turns._take[False], *turns._take[True]]
    for statement, args in [*((s, params) for s in statements), (_CHILDREN_DONE, ("tree",)), (_NEXT, ())]:
        plan = [line[3] for line in conn.execute(f"EXPLAIN QUERY PLAN {statement}", args)]
        assert not [line for line in plan if FULL_SCAN.match(line)], (statement, plan)
        if "WITH RECURSIVE waiting" in statement:  # each store's first due job, straight from the index
            assert f"SEARCH jobs USING INDEX {PER_STORE} (status=? AND store_id=? AND run_at<?)" in plan, plan
    children = [line[3] for line in conn.execute(f"EXPLAIN QUERY PLAN {_CHILDREN_DONE}", ("tree",))]
    assert children == ["SEARCH jobs USING COVERING INDEX ix_jobs_parent_id_status (parent_id=? AND status=?)"]
