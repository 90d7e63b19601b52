"""procrastinate's schema, installed and migrated next to ours by `fusionhub db upgrade`.

A fresh database gets procrastinate's current `schema.sql`; a database installed by an
older procrastinate gets each of the package's migration files newer than the one recorded
(procrastinate names them `<version>_<nn>_<what>.sql`, so their names sort in order). The
last migration applied is recorded in `fusionhub_procrastinate`. It runs inside the caller's
migration transaction, under its advisory lock: all of it applies, or none. Queued jobs of a
database from before jobs ran through procrastinate are given runs (`adopt`).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

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
    if adopt_queued:
        adopt(conn)
    return applied


def adopt(conn: sa.Connection) -> int:
    """Queued jobs left by the embedded backend get runs (see `fusionhub.jobs.pg.runs`); how many."""
    from fusionhub.jobs.pg import runs

    adopted = 0
    for query, in_line in ((runs.ADOPT_LATER, False), (runs.ADOPT_HEADS, True)):
        ids = [r[0] for r in conn.execute(query, {"due_now": runs.DUE_NOW})]
        if ids:
            conn.execute(runs.DEFER, runs.defer_params(ids, in_line=in_line))
        adopted += len(ids)
    return adopted
