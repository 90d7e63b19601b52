"""`fusionhub db upgrade` on PostgreSQL installs procrastinate's schema next to ours, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from runtime_db import PG_URL, _drop, _pg_schema

from fusionhub.storage import Database
from fusionhub.storage import pg_procrastinate as pp
from fusionhub.storage.migrate import current, head

pytestmark = pytest.mark.postgres

procrastinate = pytest.importorskip("procrastinate", reason="procrastinate comes with fusionhub[postgres]")


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, str]]:
    db, schema = await _pg_schema()
    try:
        yield db, schema
    finally:
        await db.aclose()
        await _drop(schema)


async def _tables(db: Database) -> set[str]:
    async with db.read() as conn:
        rows = await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        return {r[0] for r in rows}


async def test_upgrade_installs_ours_and_procrastinates_in_the_same_schema(pg: tuple[Database, str]) -> None:
    db, _ = pg
    await db.ensure_schema()
    tables = await _tables(db)
    assert {"jobs", "rate_buckets", "stores", "plugins"} <= tables
    assert {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events", pp.RECORD} <= tables
    assert await current(db) == head()
    async with db.read() as conn:
        recorded = await conn.run_sync(pp.installed)
    assert recorded == pp._migrations()[-1].name


async def test_a_second_upgrade_applies_nothing(pg: tuple[Database, str]) -> None:
    db, _ = pg
    await db.ensure_schema()
    async with db.write() as conn:
        assert await conn.run_sync(pp.install) == []


async def test_migrations_newer_than_the_recorded_one_are_applied(
    pg: tuple[Database, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer procrastinate ships one more migration file: only that one runs, then it is recorded."""
    db, _ = pg
    await db.ensure_schema()
    newer = tmp_path / "99.00.00_01_add_probe_table.sql"
    newer.write_text("CREATE TABLE fh_probe_migration (x integer); -- 100% of the file runs\n")
    shipped = pp._migrations()
    monkeypatch.setattr(pp, "_migrations", lambda: [*shipped, newer])
    async with db.write() as conn:
        assert await conn.run_sync(pp.install) == [newer.name]
    assert "fh_probe_migration" in await _tables(db)
    async with db.write() as conn:
        assert await conn.run_sync(pp.installed) == newer.name
        assert await conn.run_sync(pp.install) == []


async def test_procrastinate_itself_can_use_the_installed_schema(pg: tuple[Database, str]) -> None:
    db, schema = pg
    await db.ensure_schema()
    conninfo = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options={quote(f'-csearch_path={schema}')}"
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name="fusionhub_probe", queue="probe")
    async def probe(n: int) -> None:  # never run: only deferred
        return None

    async with app.open_async():
        job_id = await probe.defer_async(n=1)
    async with db.read() as conn:
        row = (
            await conn.execute(
                sa.text("SELECT task_name, status, args FROM procrastinate_jobs WHERE id = :i"), {"i": job_id}
            )
        ).one()
    assert row[0] == "fusionhub_probe" and row[1] == "todo" and row[2] == {"n": 1}


async def test_processes_starting_together_register_the_plugins_once() -> None:
    """Workers started at once on a fresh database each register the plugins: none may fail."""
    import asyncio

    from runtime_fakes import registry

    from fusionhub.storage.registration import register_plugins
    from fusionhub.storage.schema import plugins

    db, schema = await _pg_schema()
    await db.ensure_schema()
    hosts = [Database(PG_URL, schema=schema) for _ in range(6)]  # a connection each, as processes have
    try:
        reports = await asyncio.gather(*(register_plugins(h, registry(slugs=("a", "b", "c")), now=1.0) for h in hosts))
        assert all(r.registered == ["a", "b", "c"] for r in reports)
        async with db.read() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(plugins))).scalar() == 3
    finally:
        for host in hosts:
            await host.aclose()
        await db.aclose()
        await _drop(schema)


async def _notified(conninfo: str, defer: str) -> list[str]:
    """The payloads procrastinate's listeners get while `defer` (SQL) commits on another connection."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listener:
        await listener.execute("LISTEN procrastinate_any_queue_v1")
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as writer:
            await writer.execute(defer)
        return [n.payload async for n in listener.notifies(timeout=0.5)]


async def test_runs_of_our_queue_notify_nobody_others_still_do(pg: tuple[Database, str]) -> None:
    """Our workers never LISTEN, and a notifying commit queues behind every other one (module
    docstring of pg_procrastinate): a run in our queue sends no NOTIFY; procrastinate's own
    queues keep theirs."""
    db, schema = pg
    await db.ensure_schema()
    conninfo = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options={quote(f'-csearch_path={schema}')}"

    def defer(queue: str, lock: str) -> str:
        return (
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW("
            f"'{queue}', 'probe', 0, '{lock}', NULL, '{{}}'::jsonb, now())::procrastinate_job_to_defer_v1])"
        )

    assert await _notified(conninfo, defer(pp.QUEUE, "store:a")) == []
    (payload,) = await _notified(conninfo, defer("probe", "store:b"))
    assert '"job_inserted"' in payload
    async with db.write() as conn:  # installed once: a later upgrade leaves it as it is
        assert await conn.run_sync(pp.quiet_our_runs) is False


async def test_runs_of_our_queue_keep_no_event_history_others_still_do(pg: tuple[Database, str]) -> None:
    """procrastinate's history rows (module docstring of pg_procrastinate): none for a run of our
    queue through its whole life (deferred for later, fetched, finished); another queue's run
    still gets each of them; an abort request still records its event."""
    db, _ = pg
    await db.ensure_schema()

    async def life(queue: str) -> list[str]:
        async with db.write() as conn:
            run = (
                await conn.execute(
                    sa.text(
                        "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, 'probe', 0, NULL, NULL,"
                        " '{}'::jsonb, now() - interval '1 second')::procrastinate_job_to_defer_v1]))"
                    ),
                    {"queue": queue},
                )
            ).scalar_one()
            fetched = (
                await conn.execute(
                    sa.text("SELECT id FROM procrastinate_fetch_job_v2(ARRAY[:q]::varchar[], NULL)"), {"q": queue}
                )
            ).scalar_one()
            assert fetched == run
            await conn.execute(sa.text("SELECT procrastinate_cancel_job_v1(:id, true, false)"), {"id": run})
            await conn.execute(sa.text("SELECT procrastinate_finish_job_v1(:id, 'aborted', false)"), {"id": run})
            events = await conn.execute(
                sa.text("SELECT type::text FROM procrastinate_events WHERE job_id = :id ORDER BY id"), {"id": run}
            )
            return list(events.scalars())

    assert await life(pp.QUEUE) == ["abort_requested"]
    assert await life("probe") == ["scheduled", "deferred", "started", "abort_requested", "aborted"]
    async with db.write() as conn:
        assert await conn.run_sync(pp.quiet_our_runs) is False
