"""Plugin registration at host startup: manifests → `plugins` and `plugin_contracts`.

Upserts each loaded platform plugin and its 15 contracts. A host's choice of
`automation_enabled` (recorded as overridden) survives; the plugin's default is refreshed.
A plugin that is no longer installed is marked inactive, never deleted: its stores and
jobs keep their history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.capabilities import Capability
from fusionhub.contracts import PluginManifest
from fusionhub.registry import Registry
from fusionhub.storage.database import Database
from fusionhub.storage.schema import plugin_contracts as pc
from fusionhub.storage.schema import plugins as pl


@dataclass(frozen=True, slots=True)
class RegistrationReport:
    registered: list[str]
    deactivated: list[str]


def _contract_row(manifest: PluginManifest, capability: Capability) -> dict[str, Any]:
    contract = manifest.contract(capability)
    return {
        "capability": capability.value,
        "level": contract.level.value,
        "constraints": manifest.constraints_for(capability).model_dump(mode="json", exclude_none=True),
        "workaround_description": contract.workaround.description if contract.workaround else None,
        "automation_default": contract.automation_enabled,
    }


async def _upsert_plugin(conn: AsyncConnection, manifest: PluginManifest, now: float) -> str:
    values = {
        "name": manifest.name,
        "version": manifest.version,
        "api": manifest.api,
        "auth": manifest.auth.value,
        "is_active": True,
        "registered_at": now,
    }
    plugin_id = (await conn.execute(sa.select(pl.c.id).where(pl.c.slug == manifest.slug))).scalar()
    if plugin_id is None:
        plugin_id = str(uuid.uuid4())
        await conn.execute(pl.insert().values(id=plugin_id, slug=manifest.slug, **values))
    else:
        await conn.execute(pl.update().where(pl.c.id == plugin_id).values(values))
    existing = {
        row.capability: row
        for row in await conn.execute(
            sa.select(pc.c.capability, pc.c.automation_overridden).where(pc.c.plugin_id == plugin_id)
        )
    }
    for capability in Capability:
        row = _contract_row(manifest, capability)
        old = existing.get(capability.value)
        if old is None:
            await conn.execute(
                pc.insert().values(
                    id=str(uuid.uuid4()),
                    plugin_id=plugin_id,
                    automation_enabled=row["automation_default"],
                    automation_overridden=False,
                    **row,
                )
            )
            continue
        if not old.automation_overridden:
            row["automation_enabled"] = row["automation_default"]
        await conn.execute(
            pc.update().where(pc.c.plugin_id == plugin_id, pc.c.capability == capability.value).values(row)
        )
    return str(plugin_id)


# Processes starting together on one PostgreSQL database (workers, serve) would each find a
# plugin missing and insert it: one wins, the others fail on the unique slug. They take turns.
# (SQLite's write transaction already holds the database's one writer lock.)
_PG_REGISTRATION_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended('fusionhub:register-plugins', 0))")


async def register_plugins(db: Database, registry: Registry, *, now: float) -> RegistrationReport:
    manifests = [r.manifest for r in registry.platforms.values() if r.manifest is not None]
    async with db.write() as conn:
        if db.dialect == "postgresql":
            await conn.execute(_PG_REGISTRATION_LOCK)
        for manifest in manifests:
            await _upsert_plugin(conn, manifest, now)
        slugs = [m.slug for m in manifests]
        gone = (await conn.execute(sa.select(pl.c.slug).where(pl.c.slug.not_in(slugs), pl.c.is_active))).scalars()
        deactivated = list(gone)
        if deactivated:
            await conn.execute(pl.update().where(pl.c.slug.in_(deactivated)).values(is_active=False))
    return RegistrationReport(registered=sorted(slugs), deactivated=sorted(deactivated))


async def set_automation(db: Database, slug: str, capability: Capability, enabled: bool) -> bool:
    """The host's choice for one contract; False if the plugin was never registered."""
    async with db.write() as conn:
        plugin_id = (await conn.execute(sa.select(pl.c.id).where(pl.c.slug == slug))).scalar()
        if plugin_id is None:
            return False
        done = await conn.execute(
            pc.update()
            .where(pc.c.plugin_id == plugin_id, pc.c.capability == capability.value)
            .values(automation_enabled=enabled, automation_overridden=True)
        )
    return done.rowcount == 1


async def automation_overrides(db: Database) -> list[tuple[str, Capability, bool]]:
    query = (
        sa.select(pl.c.slug, pc.c.capability, pc.c.automation_enabled)
        .join(pc, pc.c.plugin_id == pl.c.id)
        .where(pc.c.automation_overridden)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [(slug, Capability(cap), bool(enabled)) for slug, cap, enabled in rows]


async def plugin_rows(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(pl).order_by(pl.c.slug))).all()
    return [dict(r._mapping) for r in rows]
