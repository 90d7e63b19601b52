"""Stores in the database and their plugin instance: one platform per store, credentials encrypted at rest."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.clock import Clock
from fusionhub.contracts import AuthKind, PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.errors import ErrorCategory, FusionHubError, NotFound, ValidationError
from fusionhub.registry import Registry
from fusionhub.secrets import Keyring
from fusionhub.storage.database import Database
from fusionhub.storage.schema import plugin_instances as pi
from fusionhub.storage.schema import plugins as pl
from fusionhub.storage.schema import stores as st
from fusionhub.stores import Store


class StoreConflict(FusionHubError):
    category = ErrorCategory.REFUSED
    default_message = "The store cannot be changed that way."


@dataclass(frozen=True, slots=True)
class StoreRecord:
    id: str
    name: str
    platform: str
    config: dict[str, Any]
    is_enabled: bool
    created_at: float
    updated_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "platform": self.platform,
            "config": self.config,
            "enabled": self.is_enabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def check_credentials(manifest: PluginManifest, credentials: Mapping[str, Any]) -> None:
    """The fields the plugin's auth kind needs must all be there, non-empty, before anything is saved."""
    errors = [
        {"loc": f"credentials.{name}", "msg": f"required by {manifest.name}'s {manifest.auth.value} auth"}
        for name in manifest.credential_fields
        if not str(credentials.get(name) or "").strip()
    ]
    if not manifest.credential_fields and manifest.auth is not AuthKind.NONE and not credentials:
        errors.append({"loc": "credentials", "msg": f"{manifest.name} uses {manifest.auth.value} auth: give its keys"})
    if errors:
        raise ValidationError(errors=errors, platform=manifest.slug)


def check_config(manifest: PluginManifest, config: Mapping[str, Any]) -> None:
    """The keys the plugin's config schema marks required."""
    required = manifest.config_schema.get("required", [])
    errors = [{"loc": f"config.{name}", "msg": "required"} for name in required if config.get(name) in (None, "")]
    if errors:
        raise ValidationError(errors=errors, platform=manifest.slug)


_SELECT = sa.select(
    st.c.id, st.c.name, pl.c.slug, pi.c.config, pi.c.is_enabled, st.c.created_at, st.c.updated_at
).select_from(st.join(pi, pi.c.store_id == st.c.id).join(pl, pl.c.id == pi.c.plugin_id))


def _record(row: sa.Row[Any]) -> StoreRecord:
    m = row._mapping
    return StoreRecord(
        id=m["id"],
        name=m["name"],
        platform=m["slug"],
        config=dict(m["config"] or {}),
        is_enabled=bool(m["is_enabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class StoreService:
    def __init__(self, db: Database, registry: Registry, keyring: Callable[[], Keyring], clock: Clock) -> None:
        self.db = db
        self.registry = registry
        self._keyring = keyring
        self.clock = clock

    @property
    def keyring(self) -> Keyring:
        return self._keyring()

    # --- reading ----------------------------------------------------------------------

    async def list(self) -> list[StoreRecord]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_SELECT.order_by(st.c.name))).all()
        return [_record(r) for r in rows]  # type: ignore[arg-type]

    async def get(self, ref: str) -> StoreRecord:
        """By id or by name."""
        where = st.c.id == ref if _is_uuid(ref) else st.c.name == ref
        async with self.db.read() as conn:
            row = (await conn.execute(_SELECT.where(where))).first()
        if row is None:
            raise NotFound(f"no store {ref!r}: see `fusionhub stores list`")
        return _record(row)  # type: ignore[arg-type]

    async def load(self, ref: str) -> Store:
        """The store with its credentials decrypted, ready for `Hub.connect`."""
        record = await self.get(ref)
        async with self.db.read() as conn:
            token = (await conn.execute(sa.select(st.c.credentials_encrypted).where(st.c.id == record.id))).scalar()
        assert token is not None
        credentials = self.keyring.decrypt(token, what=f"the credentials of store {record.name!r}")
        return Store(
            platform=record.platform,
            credentials=credentials,
            config=record.config,
            id=record.id,
            name=record.name,
            enabled=record.is_enabled,
        )

    # --- writing ----------------------------------------------------------------------

    def _manifest(self, platform: str) -> PluginManifest:
        try:
            manifest = self.registry.platform(platform).manifest
        except FusionHubError as exc:
            raise ValidationError(errors=[{"loc": "platform", "msg": exc.message}]) from None
        assert manifest is not None
        return manifest

    async def _plugin_id(self, conn: AsyncConnection, platform: str) -> str:
        plugin_id = (await conn.execute(sa.select(pl.c.id).where(pl.c.slug == platform, pl.c.is_active))).scalar()
        if plugin_id is None:
            raise ValidationError(errors=[{"loc": "platform", "msg": f"{platform!r} is not a registered plugin"}])
        return str(plugin_id)

    async def add(
        self,
        name: str,
        platform: str,
        credentials: Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        *,
        store_id: str | None = None,
    ) -> StoreRecord:
        manifest = self._manifest(platform)
        check_credentials(manifest, credentials)
        check_config(manifest, config or {})
        if not name.strip() or _is_uuid(name):
            raise ValidationError(errors=[{"loc": "name", "msg": "give the store a name (not a UUID)"}])
        token = self.keyring.encrypt(Credentials(credentials))
        now = self.clock.now()
        store_id = store_id or str(uuid.uuid4())
        async with self.db.write() as conn:
            if (await conn.execute(sa.select(st.c.id).where(st.c.name == name))).first() is not None:
                raise StoreConflict(f"a store named {name!r} exists already")
            plugin_id = await self._plugin_id(conn, platform)
            await conn.execute(
                st.insert().values(id=store_id, name=name, credentials_encrypted=token, created_at=now, updated_at=now)
            )
            await conn.execute(
                pi.insert().values(
                    id=str(uuid.uuid4()),
                    store_id=store_id,
                    plugin_id=plugin_id,
                    config=dict(config or {}),
                    is_enabled=True,
                )
            )
        return await self.get(store_id)

    async def connect(self, ref: str, platform: str, config: Mapping[str, Any] | None = None) -> StoreRecord:
        """Attach a platform to an existing store: the same platform updates its config, another is refused."""
        record = await self.get(ref)
        if record.platform != platform:
            raise StoreConflict(
                f"store {record.name!r} is connected to {record.platform}; a store has exactly one platform. "
                f"Add another store for {platform}."
            )
        return await self.update_config(ref, config or {})

    async def update_config(self, ref: str, config: Mapping[str, Any]) -> StoreRecord:
        record = await self.get(ref)
        check_config(self._manifest(record.platform), config)
        async with self.db.write() as conn:
            await conn.execute(pi.update().where(pi.c.store_id == record.id).values(config=dict(config)))
            await self._touch(conn, record.id)
        return await self.get(record.id)

    async def set_enabled(self, ref: str, enabled: bool) -> StoreRecord:
        record = await self.get(ref)
        async with self.db.write() as conn:
            await conn.execute(pi.update().where(pi.c.store_id == record.id).values(is_enabled=enabled))
            await self._touch(conn, record.id)
        return await self.get(record.id)

    async def update_credentials(self, ref: str, credentials: Mapping[str, Any]) -> StoreRecord:
        record = await self.get(ref)
        check_credentials(self._manifest(record.platform), credentials)
        await self.save_credentials(record.id, Credentials(credentials))
        return await self.get(record.id)

    async def save_credentials(self, store_id: str, credentials: Credentials) -> None:
        """Persist credentials (a rotated OAuth token from the HTTP layer), encrypted."""
        token = self.keyring.encrypt(credentials)
        async with self.db.write() as conn:
            await conn.execute(st.update().where(st.c.id == store_id).values(credentials_encrypted=token))
            await self._touch(conn, store_id)

    async def remove(self, ref: str) -> StoreRecord:
        record = await self.get(ref)
        async with self.db.write() as conn:
            await conn.execute(st.delete().where(st.c.id == record.id))  # instance, jobs, events cascade
        return record

    async def _touch(self, conn: AsyncConnection, store_id: str) -> None:
        await conn.execute(st.update().where(st.c.id == store_id).values(updated_at=self.clock.now()))

    async def rotate_keys(self, keyring: Keyring) -> int:
        """Re-encrypt every store under the keyring's newest key, all or nothing."""
        async with self.db.write() as conn:
            rows = (await conn.execute(sa.select(st.c.id, st.c.name, st.c.credentials_encrypted))).all()
            # Every value is re-encrypted in memory first: one unreadable store aborts with no write.
            new = [(sid, keyring.rotate(token, what=f"the credentials of store {name!r}")) for sid, name, token in rows]
            for sid, token in new:
                await conn.execute(st.update().where(st.c.id == sid).values(credentials_encrypted=token))
        return len(new)
