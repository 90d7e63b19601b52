"""`fusionhub db upgrade`: create or migrate the database (SQLite or PostgreSQL)."""

from __future__ import annotations

import click

from fusionhub.cli.runtime_cli import database_option, echo_json, json_option, opening_database, run_async


@click.group()
def db() -> None:
    """The database: migrations."""


@db.command("upgrade")
@database_option
@json_option
@run_async
async def upgrade(database: str | None, as_json: bool) -> None:
    """Migrate to the latest schema (also done on first use)."""
    from fusionhub.storage import Database
    from fusionhub.storage.migrate import current, head
    from fusionhub.storage.migrate import upgrade as migrate

    with opening_database(database):
        target = Database(database)
        try:
            before = await current(target) if await _exists(target) else None
            await migrate(target)
            after = await current(target)
        finally:
            await target.aclose()
    if as_json:
        echo_json({"database": repr(target), "from": before, "to": after, "head": head()})
    else:
        where = target.engine.url.render_as_string(hide_password=True)
        if before == after:
            click.echo(f"{where}: at revision {after}, up to date")
        else:
            click.echo(f"{where}: migrated from {before or 'an empty database'} to revision {after}")


async def _exists(target: object) -> bool:
    import sqlalchemy as sa

    from fusionhub.storage import Database

    assert isinstance(target, Database)
    async with target.read() as conn:
        return await conn.run_sync(lambda c: sa.inspect(c).has_table("alembic_version"))
