"""Stores in the database and their plugin instance: one platform per store, credentials encrypted at rest."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fusionhub.clock import Clock
from fusionhub.contracts import PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.errors import ErrorCategory, FusionHubError, NotFound, ValidationError
from fusionhub.registry import Registry
from fusionhub.secrets import Keyring
from fusionhub.storage.database import Database
from fusionhub.storage.schema import plugin_instances as pi
from fusionhub.storage.schema import plugins as pl
from fusionhub.storage.schema import stores as st
from fusionhub.stores import Store
from fusionhub.stores.checks import FieldErrors, check_config, check_credentials, config_errors, credential_errors

MAX_NAME = 200  # the stores table's column


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


_SELECT = sa.select(
    st.c.id, st.c.name, pl.c.slug, pi.c.config, pi.c.is_enabled, st.c.created_at, st.c.updated_at
).select_from(st.join(pi, pi.c.store_id == st.c.id).join(pl, pl.c.id == pi.c.plugin_id))


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """A saved store its plugin no longer accepts (config or credentials), with the command that fixes it."""

    store: str
    platform: str
    errors: FieldErrors
    fix: str

    @property
    def message(self) -> str:
        what = "; ".join(f"{e['loc']}: {e['msg']}" for e in self.errors)
        return f"store {self.store!r} ({self.platform}) cannot run: {what}. Fix: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store, "platform": self.platform, "errors": self.errors, "fix": self.fix}


def fix_for(name: str, errors: FieldErrors) -> str:
    """The command that repairs these errors."""
    steps = []
    if any(e["loc"].startswith("config") for e in errors):
        steps.append(f"fusionhub stores update {name} --config @config.json (a config the plugin accepts)")
    if any(e["loc"].startswith("credentials") for e in errors):
        steps.append(f"fusionhub stores update {name} --credential KEY=VALUE (for each missing key)")
    if any(e["loc"] == "platform" for e in errors):
        steps.append(f"install the store's plugin, or `fusionhub stores remove {name}`")
    return "; ".join(steps) or f"fusionhub stores show {name}"


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

    async def audit(self) -> builtins.list[StoreProblem]:
        """Every saved store its plugin does not accept as it is now; one bad store never hides the others."""
        problems = []
        for record in await self.list():
            errors = await self.problems_of(record)
            if errors:
                problems.append(StoreProblem(record.name, record.platform, errors, fix_for(record.name, errors)))
        return problems

    async def problems_of(self, record: StoreRecord, store: Store | None = None) -> FieldErrors:
        """What the store's plugin refuses in its saved config and credentials (empty: it may run)."""
        try:
            manifest = self._manifest(record.platform)
        except ValidationError as exc:
            return exc.errors
        errors = config_errors(manifest, record.config)
        try:
            credentials = store.credentials if store is not None else (await self.load(record.id)).credentials
        except FusionHubError as exc:
            return [*errors, {"loc": "credentials", "msg": exc.user_message}]
        return errors + credential_errors(manifest, credentials)

    async def check_saved_config(self, record: StoreRecord) -> None:
        """Refuse a saved store whose config its plugin no longer accepts (no decryption: cheap enough per job)."""
        errors = config_errors(self._manifest(record.platform), record.config)
        if errors:
            problem = StoreProblem(record.name, record.platform, errors, fix_for(record.name, errors))
            raise ValidationError(problem.message, errors=errors, platform=record.platform)

    async def check(self, store: Store) -> None:
        """Refuse to run a saved store its plugin does not accept, naming the fix."""
        record = await self.get(store.id)
        errors = await self.problems_of(record, store)
        if errors:
            problem = StoreProblem(record.name, record.platform, errors, fix_for(record.name, errors))
            raise ValidationError(problem.message, errors=errors, platform=record.platform)

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
        errors = credential_errors(manifest, credentials) + config_errors(manifest, config or {})
        if not name.strip() or _is_uuid(name) or len(name) > MAX_NAME:
            errors.insert(
                0, {"loc": "name", "msg": f"give the store a name (not a UUID), at most {MAX_NAME} characters"}
            )
        if errors:  # every mistake at once, before anything is saved
            raise ValidationError(errors=errors, platform=manifest.slug)
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

    async def update_credentials(self, ref: str, credentials: Mapping[str, Any], *, merge: bool = False) -> StoreRecord:
        """Replace the store's credentials (or, with `merge`, set the given keys and keep the others)."""
        record = await self.get(ref)
        if merge:
            credentials = {**(await self.load(record.id)).credentials.reveal(), **credentials}
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
