"""procrastinate's schema, installed and migrated next to ours by `fusionhub db upgrade`.

A fresh database gets procrastinate's current `schema.sql`; a database installed by an
older procrastinate gets each of the package's migration files newer than the one recorded
(procrastinate names them `<version>_<nn>_<what>.sql`, so their names sort in order). The
last migration applied is recorded in `fusionhub_procrastinate`. It runs inside the caller's
migration transaction, under its advisory lock: all of it applies, or none. Queued jobs of a
database from before jobs ran through procrastinate are given runs (`adopt`).

Changes to procrastinate's schema, made again after each install (`quiet_our_runs`), for our
queue's runs only; other queues' runs keep all of procrastinate's behaviour:

- no NOTIFY when one is inserted. Our workers look for jobs themselves and never LISTEN, and
  PostgreSQL serializes every committing transaction that notified on one database-wide lock
  held through its WAL flush: a promotion notifies in every worker's turn, so four workers'
  turns queued behind each other's commits.
- no rows in `procrastinate_events` (its history of each run: deferred, scheduled, started,
  ended): four inserts and three trigger calls per run, about a tenth of the database's work
  per job, for a history our `jobs` rows already keep (status, attempts, times). What reads
  that history therefore does not see our runs: procrastinate's `remove_old_jobs` (we delete
  a job's runs with the job: `fusionhub jobs prune`) and its admin's timelines. A cancel's
  abort request still records its event.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# How our jobs become procrastinate's (used by the PostgreSQL queue, fusionhub.jobs.pg.runs, and
# by `adopt` below; kept here so migrating never imports the job queue).
QUEUE = "fusionhub"
TASK = "fusionhub.run_job"
DUE_NOW = 1.0  # seconds: a job due within this is in line (a caller's "now" moved onto the database clock)

# `jobs` is our table (fusionhub.storage.schema); its ids are uuids, procrastinate's locks text.
# One run per job id, in the order given (procrastinate fetches equal priorities by its own id).
DEFER = sa.text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0,
               CASE WHEN :in_line THEN 'store:' || j.store_id ELSE 'job:' || j.id END,
               j.id::text,
               jsonb_build_object('job_id', j.id, 'store_id', j.store_id, 'capability', j.capability),
               to_timestamp(j.run_at))::procrastinate_job_to_defer_v1
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS given(id, n) JOIN jobs AS j ON j.id = given.id
    ORDER BY given.n
)))
""")

# For `fusionhub db upgrade` on a database the embedded backend used: queued jobs due later get
# their run out of line, and each store's first due one heads its line (the rest are parked).
ADOPT_LATER = sa.text("""
SELECT id::text FROM jobs WHERE status = 'queued' AND to_timestamp(run_at) > now() + make_interval(secs => :due_now)
ORDER BY run_at, created_at
""")
ADOPT_HEADS = sa.text("""
SELECT id::text FROM (
    SELECT DISTINCT ON (store_id) id, run_at, created_at FROM jobs
    WHERE status = 'queued' AND to_timestamp(run_at) <= now() + make_interval(secs => :due_now)
    ORDER BY store_id, run_at, created_at
) AS heads ORDER BY run_at, created_at
""")


def defer_params(ids: Sequence[str], *, in_line: bool) -> dict[str, Any]:
    return {"queue": QUEUE, "task": TASK, "ids": list(ids), "in_line": in_line}


RECORD = "fusionhub_procrastinate"
_record = sa.table(RECORD, sa.column("migration", sa.Text))


def available() -> bool:
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        return False
    return True


def _migrations() -> list[Path]:
    from procrastinate.schema import SchemaManager

    return sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"), key=lambda p: p.name)


def _exists(conn: sa.Connection, table: str) -> bool:
    return bool(conn.execute(sa.text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar_one())


def _run(conn: sa.Connection, sql: str) -> None:
    # Whole files of statements with no parameters: handed to the driver as they are.
    conn.exec_driver_sql(sql.replace("%", "%%"))


def installed(conn: sa.Connection) -> str | None:
    """The last procrastinate migration applied here (None: procrastinate's schema is absent)."""
    if not _exists(conn, RECORD):
        return None
    return conn.execute(sa.select(_record.c.migration)).scalar()


def install(conn: sa.Connection, *, adopt_queued: bool = False) -> list[str]:
    """Bring procrastinate's schema up to the installed package; the migrations it applied.

    `adopt_queued`: the database comes from before jobs ran through procrastinate, so its
    queued jobs get runs (`adopt`).
    """
    from procrastinate.schema import SchemaManager

    migrations = _migrations()
    latest = migrations[-1].name
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {RECORD} (migration text NOT NULL)")
    done = installed(conn)
    if done is None and not _exists(conn, "procrastinate_jobs"):
        _run(conn, SchemaManager.get_schema())
        applied = ["schema.sql"]
    else:
        # Installed before we recorded it (by procrastinate's own CLI): assume it is current.
        done = done or latest
        pending = [m for m in migrations if m.name > done]
        for migration in pending:
            _run(conn, migration.read_text(encoding="utf-8"))
        applied = [m.name for m in pending]
    conn.execute(_record.delete())
    conn.execute(_record.insert().values(migration=latest))
    quiet_our_runs(conn)
    if adopt_queued:
        adopt(conn)
    return applied


# procrastinate's triggers our queue's runs are spared (schema.sql), each with the comment set
# on it once narrowed: PostgreSQL prints a condition back in its own words, so the comment, not
# the text, says it was done.
QUIET_MARK = f"fusionhub: no NOTIFY for queue {QUEUE}"
NO_EVENTS_MARK = f"fusionhub: no events for queue {QUEUE}"
QUIETED: dict[str, str] = {
    "procrastinate_jobs_notify_queue_job_inserted_v1": QUIET_MARK,  # NOTIFY of a new pending run
    # The history rows procrastinate keeps of each run (deferred, scheduled, started, ended).
    "procrastinate_trigger_status_events_insert_v1": NO_EVENTS_MARK,
    "procrastinate_trigger_status_events_update_v1": NO_EVENTS_MARK,
    "procrastinate_trigger_scheduled_events_v1": NO_EVENTS_MARK,
}
_NOT_OURS = f"new.queue_name <> '{QUEUE}'"
_TRIGGER_DEF = sa.text("""
SELECT pg_get_triggerdef(tg.oid), obj_description(tg.oid, 'pg_trigger') FROM pg_trigger AS tg
WHERE tg.tgrelid = to_regclass('procrastinate_jobs') AND tg.tgname = :name AND NOT tg.tgisinternal
""")


def quiet_our_runs(conn: sa.Connection) -> bool:
    """Narrow procrastinate's triggers in `QUIETED` to other queues than ours (see the module's
    docstring); whether it changed anything. Each is left alone when it is already narrowed, or
    when procrastinate's schema has no such trigger (a release that renamed it: it fires)."""
    changed = False
    for name, mark in QUIETED.items():
        found = conn.execute(_TRIGGER_DEF, {"name": name}).first()
        if found is None or found[1] == mark:
            continue
        definition: str = found[0]
        # The same trigger, its condition and ours: replaced in the caller's transaction, so a
        # concurrent insert or update sees either the old trigger or the new one.
        cut = definition.index(" EXECUTE ")
        head, _, condition = definition[:cut].partition(" WHEN ")
        narrowed = f"{head} WHEN ({f'{condition} AND ' if condition else ''}{_NOT_OURS}){definition[cut:]}"
        conn.exec_driver_sql(f"DROP TRIGGER {name} ON procrastinate_jobs")
        conn.exec_driver_sql(narrowed.replace("%", "%%"))
        conn.exec_driver_sql(f"COMMENT ON TRIGGER {name} ON procrastinate_jobs IS '{mark}'")
        changed = True
    return changed


def adopt(conn: sa.Connection) -> int:
    """Queued jobs left by the embedded backend get runs (see `fusionhub.jobs.pg.runs`); how many."""
    adopted = 0
    for query, in_line in ((ADOPT_LATER, False), (ADOPT_HEADS, True)):
        ids = [r[0] for r in conn.execute(query, {"due_now": DUE_NOW})]
        if ids:
            conn.execute(DEFER, defer_params(ids, in_line=in_line))
        adopted += len(ids)
    return adopted
